/**
 * Writing output files (generated templates, metadata, the sink's report) so that a
 * reader never sees half a file and a path is never written through: each file is
 * created under a fresh temporary name beside its final path with O_EXCL (so that name
 * cannot be a planted symlink) and renamed over the final path, which replaces a symlink
 * found there instead of following it to its target.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ReplaydError } from './errors.js';

export const ERR_OUTPUT = 'ERR_OUTPUT_WRITE';

function failure(what: string, err: unknown): ReplaydError {
  const code = (err as NodeJS.ErrnoException).code;
  return new ReplaydError(ERR_OUTPUT, `${what} (${code ?? (err as Error).message})`, { cause: err });
}

/** Same folder (so rename is atomic), hidden, unique per process, thread and call. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * `mkdir -p` that fails at once. Node's recursive mkdirSync retries for tens of seconds
 * at 100 % CPU on a folder that cannot be made (e.g. under /proc), so the missing
 * folders are found by stat and made one by one.
 */
export function makeOutputDir(dir: string): void {
  const abs = resolve(dir);
  const at = (d: string): string => `cannot create the output folder ${dir}${d === abs ? '' : `: ${d}`}`;
  const missing: string[] = [];
  for (let d = abs; ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw failure(at(d), err);
      missing.push(d);
      continue;
    }
    if (!isDir) throw new ReplaydError(ERR_OUTPUT, `${at(d)} is not a folder`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      // Made meanwhile by someone else: fine, as long as it is a folder.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw failure(at(d), err);
    }
  }
}

/** A file being written: write to `fd`, then commit() to put it in place, or abort(). */
export class FileReplacement {
  readonly fd: number;
  readonly #tmp: string;
  #open = true;

  constructor(readonly path: string) {
    this.#tmp = tempPathFor(path);
    try {
      this.fd = openSync(this.#tmp, 'wx', 0o644);
    } catch (err) {
      throw failure(`cannot write ${path}`, err);
    }
  }

  commit(): void {
    this.#close();
    try {
      renameSync(this.#tmp, this.path);
    } catch (err) {
      this.abort();
      throw failure(`cannot write ${this.path}`, err);
    }
  }

  /** Removes the temporary file; safe to call after commit() or twice. */
  abort(): void {
    this.#close();
    try {
      unlinkSync(this.#tmp);
    } catch {
      // Already renamed into place, or never created.
    }
  }

  #close(): void {
    if (this.#open) closeSync(this.fd);
    this.#open = false;
  }
}

/** Writes a whole file through a FileReplacement. */
export function replaceFileSync(path: string, data: string | Uint8Array): void {
  const f = new FileReplacement(path);
  try {
    writeFileSync(f.fd, data);
  } catch (err) {
    f.abort();
    throw failure(`cannot write ${path}`, err);
  }
  f.commit();
}

/** The same, without blocking the event loop (the daemon and the sink write their reports at exit). */
export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw failure(`cannot write ${path}`, err);
  }
}
