import { parentPort, workerData } from 'node:worker_threads';
import { ReplaydError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import type { GeneratorConfig } from './config.js';
import { type SignalFile, writeSignalFiles } from './signal-file.js';

/** What `writeDataset` hands a worker: one group of signals to write. */
export interface WriteJob {
  cfg: GeneratorConfig;
  signals: Signal[];
  outDir: string;
  json: boolean;
}

export type WriteWorkerMessage =
  | { type: 'progress'; events: number }
  | { type: 'done'; files: SignalFile[] }
  | { type: 'error'; message: string; code?: string };

/** Progress is reported in steps of this many events, not per block. */
const PROGRESS_STEP = 50_000;

const job = workerData as WriteJob;
const port = parentPort!;
let pending = 0;
try {
  // The JSON writer pulls in protobufjs: load it only when asked, worker start-up counts.
  const jsonLine = job.json ? (await import('../otlp/json-encode.js')).encodeOtlpJson : undefined;
  const files = writeSignalFiles(job.cfg, job.signals, job.outDir, jsonLine, (n) => {
    pending += n;
    if (pending < PROGRESS_STEP) return;
    port.postMessage({ type: 'progress', events: pending } satisfies WriteWorkerMessage);
    pending = 0;
  });
  if (pending > 0) port.postMessage({ type: 'progress', events: pending } satisfies WriteWorkerMessage);
  port.postMessage({ type: 'done', files } satisfies WriteWorkerMessage);
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message, code: err instanceof ReplaydError ? err.code : undefined } satisfies WriteWorkerMessage);
}
