import { parentPort, workerData } from 'node:worker_threads';
import { ReplaydError } from '../errors.js';
import { createLogger } from '../log.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { PipelineRunner } from './runner.js';

/** Entry point of one pipeline worker thread. The main thread starts it with a WorkerInit. */
const init = workerData as WorkerInit;
const port = parentPort!;
const log = createLogger({ level: init.logLevel, pretty: init.pretty, stderr: init.stderr }).child({
  pipeline: init.resolved.pipeline.id,
  worker: init.worker,
});

function post(msg: FromWorker): void {
  port.postMessage(msg);
}

let runner: PipelineRunner | undefined;
/** Resolved by the supervisor's `start` (its clock origin), or by a stop that comes first. */
let startSending!: (origin: number | undefined) => void;
const started = new Promise<number | undefined>((resolve) => (startSending = resolve));
port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'start':
      startSending(msg.origin);
      break;
    case 'rate':
      runner?.setRate(msg.eventsPerSecond);
      break;
    case 'stats':
      if (runner) post({ type: 'stats', stats: runner.stats() });
      break;
    case 'drain':
      runner?.drain(msg.timeoutMs);
      startSending(undefined);
      break;
    case 'abandon':
      runner?.abandon();
      startSending(undefined);
      break;
  }
});

async function main(): Promise<void> {
  try {
    runner = new PipelineRunner({ resolved: init.resolved, worker: init.worker, seed: init.seed, startAt: init.startAt, sentTraces: init.sentTraces, log });
    await runner.load();
    const c = runner.compiledSummary();
    post({ type: 'ready', ...c });
    const timer = setInterval(() => post({ type: 'stats', stats: runner!.stats() }), init.statsIntervalMs);
    try {
      await runner.run(await started);
    } finally {
      clearInterval(timer);
    }
    post({ type: 'done', stats: runner.stats() });
  } catch (err) {
    const e = err as Error;
    const code = err instanceof ReplaydError ? err.code : 'ERR_PIPELINE_CRASHED';
    if (!(err instanceof ReplaydError)) log.error({ err: e }, 'pipeline crashed');
    post({ type: 'error', code, message: e.message, stats: runner?.stats() });
  } finally {
    port.close();
  }
}

void main();
