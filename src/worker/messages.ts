import type { ResolvedPipeline } from '../config/types.js';
import type { WorkerStats } from './stats.js';

/** Everything a pipeline worker starts from (structured-clone safe). */
export interface WorkerInit {
  resolved: ResolvedPipeline;
  worker: number;
  seed: [number, number];
  /** service.start_at in ms since the epoch; undefined = send once loaded. */
  startAt?: number;
  logLevel: string;
  pretty: boolean;
  /** Log to stderr (stdout carries a command's result). */
  stderr: boolean;
  statsIntervalMs: number;
  /** Shared with the other pipelines of its receiver: a traces pipeline publishes the cycles it sent, logs and metrics follow them. */
  sentTraces?: SentTracesLink;
}

/** A pipeline's part in its receiver's correlation (src/stamp/sent-traces.ts). */
export interface SentTracesLink {
  buffer: SharedArrayBuffer;
  role: 'publish' | 'follow';
}

/** Main → worker. Rare by design: never one per frame. */
export type ToWorker =
  /** Every worker of a pipeline, once all are ready: send from now; `origin` (ms since the Unix epoch, performance.timeOrigin-based) starts the pacers' clock. */
  | { type: 'start'; origin: number }
  /** Hold the whole pipeline to this rate from now on (capacity search). */
  | { type: 'rate'; eventsPerSecond: number }
  /** Post a stats snapshot now. */
  | { type: 'stats' }
  | { type: 'drain'; timeoutMs: number }
  | { type: 'abandon' };

/** Worker → main: lifecycle, and a stats snapshot about once a second. */
export type FromWorker =
  | { type: 'ready'; frames: number; events: number; bytes: number }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'done'; stats: WorkerStats }
  | { type: 'error'; code: string; message: string; stats: WorkerStats | undefined };
