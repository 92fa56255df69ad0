import { Worker } from 'node:worker_threads';
import type { ResolvedPipeline } from '../config/types.js';
import type { Logger } from '../log.js';
import { builtModule } from '../package-root.js';
import type { PipelineState } from '../telemetry/source.js';
import type { FromWorker, ToWorker, WorkerInit } from '../worker/messages.js';
import type { WorkerStats } from '../worker/stats.js';
import { abandonInFlight } from './pipeline-totals.js';

/** One worker thread of a pipeline, as the supervisor sees it. */
export interface WorkerHandle {
  thread: Worker;
  last: WorkerStats | undefined;
  alive: boolean;
  exited: Promise<void>;
  /** Called at the worker's next stats message (or exit): `refresh()` waits for fresh numbers. */
  waiters: (() => void)[];
}

/** What a worker reports into: the pipeline it belongs to. */
export interface WorkerPipeline {
  id: string;
  resolved: ResolvedPipeline;
  state: PipelineState;
  workers: WorkerHandle[];
}

export interface WorkerOutcomes {
  /** The worker could not start or crashed; `code` is a stable error code. */
  failed(code: string, message: string): void;
  /** The thread has exited. */
  exited(): void;
}

/**
 * Starts worker `init.worker` of pipeline `h` and adds it to h.workers; resolves once it
 * is ready, failed or gone. Its stats messages keep `last` current.
 */
export function startWorker(h: WorkerPipeline, init: WorkerInit, log: Logger, on: WorkerOutcomes): Promise<void> {
  const index = init.worker;
  const thread = new Worker(builtModule('worker/worker.js'), { workerData: init });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const wh: WorkerHandle = { thread, last: undefined, alive: true, exited: undefined as unknown as Promise<void>, waiters: [] };
  const fresh = (): void => {
    for (const w of wh.waiters.splice(0)) w();
  };
  wh.exited = new Promise<void>((resolve) => {
    thread.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'ready':
          // Every worker as it gets ready, so a start of many workers shows its progress.
          log.info(
            { pipeline: h.id, worker: index, workers: h.resolved.pipeline.workers, frames: msg.frames, events: msg.events, bytes: msg.bytes },
            'pipeline started',
          );
          markReady();
          break;
        case 'stats':
        case 'done':
          wh.last = msg.stats;
          fresh();
          break;
        case 'error':
          if (msg.stats) wh.last = msg.stats;
          fresh();
          h.state = 'failed';
          log.error({ pipeline: h.id, worker: index, code: msg.code }, msg.message);
          on.failed(msg.code, msg.message);
          markReady();
          break;
      }
    });
    thread.on('error', (err) => {
      h.state = 'failed';
      log.error({ pipeline: h.id, worker: index, err }, 'pipeline worker crashed');
      on.failed('ERR_PIPELINE_CRASHED', err.message);
      markReady();
    });
    thread.on('exit', () => {
      wh.alive = false;
      // Whatever a dead worker still had in flight was never confirmed: dropped, not lost.
      if (wh.last) for (const c of Object.values(wh.last.exporters)) abandonInFlight(c);
      fresh();
      markReady();
      resolve();
      on.exited();
    });
  });
  h.workers.push(wh);
  return ready;
}

/** Sends a message to a worker that is still alive. */
export function post(w: WorkerHandle, msg: ToWorker): void {
  if (w.alive) w.thread.postMessage(msg);
}
