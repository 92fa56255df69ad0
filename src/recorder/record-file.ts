import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Signal } from '../otlp/signals.js';
import { recordPrefix, RECORD_PREFIX } from '../otlp/wire/records.js';
import { type DiskBudget, GZIP_MEMBER } from './disk-budget.js';

const gzipAsync = promisify(gzip);
/** Level 3: about 2.5x the speed of the default 6 for 13 % more bytes, measured on span data; recording must keep up. */
const GZIP_LEVEL = 3;
/** Records are compressed in batches of about this many bytes, each batch one gzip member. */
const BATCH_BYTES = 1024 * 1024;

/** What a hold reserves for a record of `len` bytes (prefix included): its deflate bound and a gzip member's overhead. */
export function recordReservation(len: number): number {
  const n = len + RECORD_PREFIX;
  return n + Math.ceil(n / 8) + Math.ceil(n / 64) + 5 + GZIP_MEMBER;
}

/**
 * One signal's recording: `<signal>.pb.gz`, length-prefixed requests (the Collector file
 * exporter's `proto` format), gzip-compressed in members of about 1 MiB (a gzip file may
 * hold several; every reader takes them as one stream). It is written as
 * `<name>.partial` and renamed when finished, so the name never points at half a file.
 * Batches compress on the thread pool and are written in order.
 */
export class RecordFile {
  readonly name: string;
  readonly #path: string;
  readonly #partial: string;
  readonly #budget: DiskBudget;
  requests = 0;
  events = 0;
  /** Uncompressed bytes (record prefixes included). */
  rawBytes = 0;
  /** Compressed bytes written. */
  diskBytes = 0;
  /** Per request: ms since the recording started, when it arrived. */
  readonly arrivalsMs: number[] = [];
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  /** Budget held for the batch: each record's bound plus one member's overhead. */
  #batchReserved = 0;
  /** Uncompressed bytes in memory: the batch and batches still compressing or writing. */
  #buffered = 0;
  #fd: Promise<FileHandle> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failure: Error | undefined;

  constructor(dir: string, readonly signal: Signal, budget: DiskBudget) {
    this.name = `${signal}.pb.gz`;
    this.#path = join(dir, this.name);
    this.#partial = `${this.#path}.partial`;
    this.#budget = budget;
  }

  get buffered(): number {
    return this.#buffered;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Appends one request; `reserved` is what its hold reserved (recordReservation). */
  append(record: Uint8Array, events: number, arrivalMs: number, reserved: number): void {
    if (this.#batch.length > 0) {
      // Only the batch's first record pays for the member.
      this.#budget.release(GZIP_MEMBER);
      reserved -= GZIP_MEMBER;
    }
    this.#batch.push(recordPrefix(record.length), record);
    this.#batchBytes += RECORD_PREFIX + record.length;
    this.#batchReserved += reserved;
    this.#buffered += RECORD_PREFIX + record.length;
    this.requests++;
    this.events += events;
    this.rawBytes += RECORD_PREFIX + record.length;
    this.arrivalsMs.push(arrivalMs);
    if (this.#batchBytes >= BATCH_BYTES) this.flush();
  }

  /** Whether records are waiting uncompressed (their reservation is a bound, not their size). */
  get pending(): boolean {
    return this.#batch.length > 0;
  }

  /** Compresses the batch and queues it for writing; the reservation shrinks to the compressed size. */
  flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch, bytes = this.#batchBytes, reserved = this.#batchReserved;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#batchReserved = 0;
    const compressed = gzipAsync(Buffer.concat(batch, bytes), { level: GZIP_LEVEL }).then((z) => {
      this.#budget.release(reserved);
      // Never more than the bound just released, so this always fits.
      this.#budget.reserve(z.length);
      return z;
    });
    // Failures surface through the chain below; without a handler now, a failure that
    // comes before the chain gets to them would end the process as an unhandled rejection.
    compressed.catch(() => {});
    if (!this.#fd) {
      this.#fd = open(this.#partial, 'wx');
      this.#fd.catch(() => {});
    }
    const fd = this.#fd;
    this.#chain = this.#chain.then(async () => {
      const z = await compressed;
      if (this.#failure) return;
      await (await fd).write(z);
      this.diskBytes += z.length;
    }).catch((err: unknown) => {
      this.#failure ??= err as Error;
    }).finally(() => {
      this.#buffered -= bytes;
    });
  }

  /** Writes what is left and renames the file into place; no file at all without requests. */
  async finish(): Promise<void> {
    this.flush();
    await this.#chain;
    if (!this.#fd) return;
    if (this.#failure) await this.#fd.then((fd) => fd.close(), () => {});
    if (this.#failure) {
      await rm(this.#partial, { force: true });
      throw this.#failure;
    }
    const fd = await this.#fd;
    try {
      await fd.datasync();
    } finally {
      await fd.close();
    }
    await rename(this.#partial, this.#path);
  }
}
