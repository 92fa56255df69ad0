import { Worker } from 'node:worker_threads';
import { ReplaydError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { builtModule } from '../package-root.js';
import type { Encoding } from '../otlp/signals.js';
import type { VerifyOptions, VerifyReport } from './verify.js';

/** Main thread → verification thread. */
export type ToVerifier =
  | { type: 'check'; id: number; signal: Signal; encoding: Encoding; buffer: ArrayBuffer; offset: number; length: number; receivedAtMs: number }
  | { type: 'report'; id: number };

type FromVerifier = { type: 'checked'; id: number; buffer: ArrayBuffer } | { type: 'report'; id: number; report: VerifyReport };

/** Bodies waiting for the verifier; past this, requests are counted but not verified (and reported as skipped). */
const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;

/** What the sink reports about verification: the verifier's findings and what it had to skip. */
export interface VerificationReport extends VerifyReport {
  /** Counted requests not verified because the verifier was MAX_BACKLOG_BYTES behind. */
  skippedRequests: Record<Signal, number>;
}

/**
 * Runs the Verifier in a worker thread: decoding and checking every request costs more
 * than receiving it, and on the serving thread it capped what a sink (or the daemon the
 * sink extension runs in) could take. A body goes to the thread without a copy when the
 * sink owns its whole ArrayBuffer (copied once otherwise) and comes back for reuse.
 */
export class VerifierThread {
  readonly #worker: Worker;
  /** Bodies at the thread, by id: their place in the transferred ArrayBuffer and who takes them back. */
  readonly #bodies = new Map<number, { offset: number; length: number; recycle?: (body: Buffer) => void }>();
  readonly #reports = new Map<number, { resolve: (r: VerificationReport) => void; reject: (e: Error) => void }>();
  readonly #skipped = Object.fromEntries(SIGNAL_NAMES.map((s) => [s, 0])) as Record<Signal, number>;
  readonly #maxBacklogBytes: number;
  #backlogBytes = 0;
  #next = 0;
  #failure: Error | undefined;
  #final: Promise<VerificationReport> | undefined;

  constructor(opts: VerifyOptions, log: Logger | undefined, maxBacklogBytes = MAX_BACKLOG_BYTES) {
    this.#maxBacklogBytes = maxBacklogBytes;
    this.#worker = new Worker(builtModule('sink/verify-worker.js'), { workerData: opts });
    // Verification must never keep a stopping process alive.
    this.#worker.unref();
    this.#worker.on('message', (msg: FromVerifier) => this.#onMessage(msg));
    this.#worker.on('error', (err) => {
      this.#failure = new ReplaydError('ERR_SINK_VERIFIER', `the verification thread failed: ${err.message}`, { cause: err });
      log?.error({ err: err.message }, 'sink: verification thread failed; requests are counted but no longer verified');
      for (const r of this.#reports.values()) r.reject(this.#failure);
      this.#reports.clear();
    });
  }

  /**
   * Verifies one counted request body and takes it over: the caller must not touch it
   * again. `recycle`, when given, says the caller owns the whole ArrayBuffer behind `body`
   * (a pooled buffer) and gets the body back once it is verified. `receivedAtMs` (ms since
   * the epoch) is what the arrival checks compare end times with: by default now, when the
   * body has been read. Not the loop watch's arrival: after a stall that is the stall's
   * start, which can be before the request was even sent.
   */
  submit(signal: Signal, encoding: Encoding, body: Buffer, recycle?: (body: Buffer) => void, receivedAtMs = Date.now()): void {
    const length = body.length;
    if (this.#failure || this.#final || this.#backlogBytes + length > this.#maxBacklogBytes) {
      this.#skipped[signal]++;
      recycle?.(body);
      return;
    }
    let buffer: ArrayBuffer;
    let offset = 0;
    if (recycle || ownsWhole(body)) {
      buffer = body.buffer as ArrayBuffer;
      offset = body.byteOffset;
    } else {
      buffer = new ArrayBuffer(length);
      new Uint8Array(buffer).set(body);
    }
    const id = this.#next++;
    this.#bodies.set(id, { offset, length, recycle });
    this.#backlogBytes += length;
    const msg: ToVerifier = { type: 'check', id, signal, encoding, buffer, offset, length, receivedAtMs };
    this.#worker.postMessage(msg, [buffer]);
  }

  /** The findings so far, once every body submitted before this call has been checked. */
  report(): Promise<VerificationReport> {
    if (this.#final) return this.#final;
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#reports.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'report', id } satisfies ToVerifier);
    });
  }

  /** Checks what is queued, keeps the final report for later calls, and ends the thread. */
  close(): Promise<VerificationReport> {
    if (!this.#final) {
      const last = this.report();
      this.#final = last;
      void last.catch(() => {}).finally(() => void this.#worker.terminate());
    }
    return this.#final;
  }

  #onMessage(msg: FromVerifier): void {
    if (msg.type === 'report') {
      const waiting = this.#reports.get(msg.id);
      this.#reports.delete(msg.id);
      waiting?.resolve({ ...msg.report, skippedRequests: { ...this.#skipped } });
      return;
    }
    const body = this.#bodies.get(msg.id)!;
    this.#bodies.delete(msg.id);
    this.#backlogBytes -= body.length;
    body.recycle?.(Buffer.from(msg.buffer, body.offset, body.length));
  }
}

/**
 * True when `body` is the only view of its ArrayBuffer's bytes, so transferring the
 * ArrayBuffer takes nothing from anyone else. Small Buffers share Node's pool slab and
 * never pass: the slab is larger than any Buffer allocated from it.
 */
function ownsWhole(body: Buffer): boolean {
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
}
