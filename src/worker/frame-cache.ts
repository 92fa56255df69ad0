/**
 * Stream mode's frame files: a template compiled chunk by chunk into cache_dir, named
 * by a key over the template (path, size, mtime) and everything that shapes its frames
 * (compile options, load options, chunk size, the processors when they rewrite the
 * template), so a run reuses the file while both are unchanged and builds a new one
 * otherwise. Workers of one pipeline share the file: one builds it under a lock file,
 * the others wait for it. A file that is truncated or unreadable is rebuilt.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { compile, compileOptions, type CompileOptions } from '../compile/compile.js';
import type { CompilePlan } from '../compile/plan.js';
import type { ResolvedPipeline } from '../config/types.js';
import { FrameFile, FrameFileWriter, type FrameFileMeta, readFrameFileMeta } from '../compile/frame-file.js';
import { ReplaydError, TemplateError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Encoding, Signal } from '../otlp/signals.js';
import { loadWarnings } from '../receivers/load-warnings.js';
import type { StreamedTemplate } from '../receivers/template-chunks.js';
import type { LoadOptions } from '../receivers/template.js';

/** Bump when the frame file layout or what compile writes into it changes. */
const FORMAT = 1;
/** A lock not touched for this long belongs to a build that died. */
const STALE_LOCK_MS = 5 * 60_000;
const POLL_MS = 200;
const MAX_WARNINGS = 100;

export interface FrameCacheRequest {
  template: StreamedTemplate;
  signal: Signal;
  options: CompileOptions;
  load: LoadOptions;
  /** Identifies the template rewrites in `options` (they are functions): '' when there are none. */
  rewriteKey: string;
  log: Logger;
  /** Whether this worker logs what the cache did (one per pipeline does). */
  speaks: boolean;
}

/** The request a pipeline's worker makes (the worker and `validate` alike), from its plan before loading. */
export function pipelineCacheRequest(resolved: ResolvedPipeline, plan: CompilePlan, encodings: Encoding[], template: StreamedTemplate, load: LoadOptions, log: Logger, speaks: boolean): FrameCacheRequest {
  return {
    template, signal: resolved.pipeline.signal, options: compileOptions(plan, encodings), load, log, speaks,
    // Rewrites are functions of the processors' configs: those name them.
    rewriteKey: plan.rewrites.length > 0 ? JSON.stringify(resolved.processors) : '',
  };
}

export function frameCacheKey(r: FrameCacheRequest): string {
  const { template: t, options: o } = r;
  const id = {
    format: FORMAT, file: t.file, size: t.size, mtimeMs: t.mtimeMs, chunkBytes: t.chunkBytes, signal: r.signal, relativeTimes: r.load.relativeTimes,
    idRegen: o.idRegen, timestamps: o.timestamps, maxItems: o.maxItems ?? 0, maxBytes: o.maxBytes ?? 0, encodings: [...new Set(o.encodings)].sort(),
    digits: o.digits ?? [], rewrites: r.rewriteKey,
  };
  return createHash('sha256').update(JSON.stringify(id)).digest('hex');
}

export function frameCachePath(r: FrameCacheRequest, key: string): string {
  return join(r.template.cacheDir, `${basename(r.template.file)}.${key.slice(0, 16)}.frames`);
}

/** The template's frame file, built first if there is none for it (or it is unusable). */
export async function openFrameCache(r: FrameCacheRequest): Promise<FrameFile> {
  const key = frameCacheKey(r);
  const path = frameCachePath(r, key);
  const lock = `${path}.lock`;
  try {
    mkdirSync(r.template.cacheDir, { recursive: true });
  } catch (err) {
    throw cacheError(`cannot create the frame cache folder ${r.template.cacheDir}: ${(err as Error).message}`, err);
  }
  for (;;) {
    const file = await tryOpen(path, key, r);
    if (file) {
      if (r.speaks) r.log.info({ template: r.template.file, cache: path, frames: file.frameCount }, 'template frames reused from the cache');
      return file;
    }
    if (takeLock(lock)) break;
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
  try {
    // Another worker may have finished between our open and our lock.
    const file = await tryOpen(path, key, r);
    if (file) return file;
    const t0 = performance.now();
    const meta = await build(r, path, key, lock);
    await removeStale(r, path);
    r.log.info(
      { template: r.template.file, cache: path, chunks: meta.chunks.length, events: meta.totalEvents, ms: Math.round(performance.now() - t0), bytes: statSync(path).size },
      'template compiled into the frame cache',
    );
  } finally {
    rmSync(lock, { force: true });
  }
  return FrameFile.open(path, key);
}

/** The file if it is whole and built with `key`; undefined if it is missing or unusable (then removed, with a warning). */
async function tryOpen(path: string, key: string, r: FrameCacheRequest): Promise<FrameFile | undefined> {
  try {
    return await FrameFile.open(path, key);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (!(err instanceof TemplateError) || err.code !== 'ERR_TEMPLATE_CACHE') throw cacheError(`cannot read frame file ${path}: ${(err as Error).message}`, err);
    r.log.warn({ template: r.template.file, cache: path, reason: err.message }, 'frame cache file is unusable: rebuilding it');
    rmSync(path, { force: true });
    return undefined;
  }
}

/** Takes the build lock, or returns false while another live build holds it. */
function takeLock(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, `${process.pid} ${processStart()}`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cacheError(`cannot create lock file ${lock}: ${(err as Error).message}`, err);
  }
  if (lockIsStale(lock)) rmSync(lock, { force: true });
  return false;
}

function lockIsStale(lock: string): boolean {
  try {
    const [pid, start] = readFileSync(lock, 'utf8').split(' ').map(Number) as [number, number | undefined];
    if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) return true;
    if (!Number.isInteger(pid) || pid <= 0) return false;
    // Our pid from an earlier life (pid 1 in every container run) is not us.
    if (pid === process.pid) return start !== undefined && Math.abs(start - processStart()) > 1000;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** When this process started (ms since the epoch), the same in all its threads. */
function processStart(): number {
  return Math.round(Date.now() - process.uptime() * 1000);
}

/** Frame files built from an earlier version of the template (another size or mtime): nothing will open them again. */
async function removeStale(r: FrameCacheRequest, path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(r.template.file)}.`;
  for (const f of readdirSync(dir)) {
    const other = join(dir, f);
    if (!f.startsWith(prefix) || !f.endsWith('.frames') || other === path) continue;
    const t = (await readFrameFileMeta(other).catch(() => undefined))?.template;
    if (t?.file !== r.template.file || (t.size === r.template.size && t.mtimeMs === r.template.mtimeMs)) continue;
    rmSync(other, { force: true });
    r.log.info({ template: r.template.file, cache: other }, 'removed the frame file of an earlier version of the template');
  }
}

/** Frame files of `path` left half-written by builds that died (we hold the lock: no build is running). */
function removePartials(path: string): void {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith('.partial')) rmSync(join(dir, f), { force: true });
}

async function build(r: FrameCacheRequest, path: string, key: string, lock: string): Promise<FrameFileMeta> {
  removePartials(path);
  const tmp = `${path}.${process.pid}-${threadId}.partial`;
  const options = { ...r.options };
  let writer: FrameFileWriter;
  try {
    writer = new FrameFileWriter(tmp, r.signal, [...new Set(options.encodings)]);
  } catch (err) {
    throw cacheError(`cannot create frame file ${tmp}: ${(err as Error).message}`, err);
  }
  const warnings: FrameFileMeta['warnings'] = [];
  let implicitTimestamps: FrameFileMeta['implicitTimestamps'];
  let first = true;
  try {
    for await (const chunk of r.template.chunks()) {
      // As in memory: relative times without the timestamp processor are placed at now.
      if (first && !r.load.relativeTimes && !chunk.absoluteTimes) {
        options.timestamps = true;
        implicitTimestamps = { source: r.template.file };
      }
      first = false;
      for (const w of loadWarnings([chunk])) if (warnings.length < MAX_WARNINGS) warnings.push(w);
      writer.addChunk(compile([chunk], options));
      // Tells workers waiting on the lock that the build is alive.
      const now = new Date();
      utimesSync(lock, now, now);
    }
    const { file, size, mtimeMs } = r.template;
    const meta = writer.finish(key, { template: { file, size, mtimeMs }, warnings, implicitTimestamps });
    renameSync(tmp, path);
    return meta;
  } catch (err) {
    writer.abort();
    rmSync(tmp, { force: true });
    if (err instanceof ReplaydError) throw err;
    throw cacheError(`cannot write frame file ${tmp}: ${(err as Error).message}`, err);
  }
}

function cacheError(message: string, cause: unknown): ReplaydError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_CACHE', cause });
}
