import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { stringify } from 'yaml';
import { ReplaydError, type ErrorCode } from '../errors.js';
import { makeOutputDir, replaceFileSync } from '../output-files.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { builtModule } from '../package-root.js';
import { formatSize } from '../units.js';
import { type GeneratorConfig, toYamlForm } from './config.js';
import { type Estimate, estimate, topologyOf } from './dataset.js';
import { type SignalFile, writeSignalFiles } from './signal-file.js';
import type { WriteJob, WriteWorkerMessage } from './write-worker.js';

/** Assumed exporter concurrency and frame size for the sender memory estimate. */
const IN_FLIGHT = 10;
const FRAME_BYTES = 4 * 1024 * 1024;

export interface WriteOptions {
  outDir: string;
  json: boolean;
  /** Where to draw a progress bar (stderr on a TTY), or undefined for none. */
  progress?: { write(s: string): unknown; columns?: number };
  /** Worker threads to spread the signals over (default: the available cores, at most 2); 1 writes on this thread. */
  threads?: number;
}

export interface WriteResult {
  files: string[];
  metadata: Record<string, unknown>;
}

/** Refuses datasets estimated above `cfg.maxSize`, before anything is written. */
function checkSize(cfg: GeneratorConfig, est: Estimate, json: boolean): void {
  const total = json ? est.bytes * 3.5 : est.bytes;
  if (total > cfg.maxSize) {
    throw new ReplaydError(
      'ERR_GENERATOR_TOO_LARGE',
      `dataset would be about ${formatSize(total)} (${est.spans} spans, ${est.points} data points, ${est.logs} log records${json ? ', with OTLP/JSON copies' : ''}), above max_size ${formatSize(cfg.maxSize)}; raise max_size or reduce the counts`,
    );
  }
}

/**
 * Splits the configured signals into at most two groups of similar cost: traces (with
 * correlated logs, which need the traces' span ids) and the rest. Every file depends
 * only on the config and seed, so the split never changes the bytes.
 */
export function signalGroups(cfg: GeneratorConfig, threads: number): Signal[][] {
  const signals = SIGNAL_NAMES.filter((s) => cfg[s] !== undefined);
  if (threads < 2 || signals.length < 2) return [signals];
  const first: Signal[] = signals.includes('traces') ? ['traces'] : [signals[0]!];
  if (cfg.logs?.correlate && first[0] === 'traces') first.push('logs');
  const rest = signals.filter((s) => !first.includes(s));
  return rest.length > 0 ? [first, rest] : [first];
}

/**
 * Writes `<prefix>-<signal>.pb` (and .json) for every configured signal and
 * `<prefix>-metadata.yaml`. With more than one core the signals are generated in
 * parallel worker threads (built code: see builtModule); the files are the same.
 */
export async function writeDataset(cfg: GeneratorConfig, opts: WriteOptions): Promise<WriteResult> {
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) throw new RangeError(`threads must be a positive integer, got ${opts.threads}`);
  const est = estimate(cfg);
  checkSize(cfg, est, opts.json);
  makeOutputDir(opts.outDir);
  const bar = progressBar(opts.progress, est.spans + est.points + est.logs);
  const groups = signalGroups(cfg, opts.threads ?? Math.min(2, availableParallelism()));
  let results: SignalFile[][];
  if (groups.length === 1) {
    const jsonLine = opts.json ? (await import('../otlp/json-encode.js')).encodeOtlpJson : undefined;
    results = [writeSignalFiles(cfg, groups[0]!, opts.outDir, jsonLine, (n) => bar.add(n))];
  } else {
    results = await inWorkers(groups.map((signals) => ({ cfg, signals, outDir: opts.outDir, json: opts.json })), (n) => bar.add(n));
  }
  bar.done();
  const bySignal = new Map(results.flat().map((f) => [f.signal, f]));
  const counts = { traces: est.traces, spans: 0, services: cfg.traces ? topologyOf(cfg).services.length : 0, metric_series: 0, data_points: 0, log_records: 0 };
  const files: Record<string, { path: string; bytes: number; json_bytes?: number }> = {};
  const written: string[] = [];
  let largestBlock = 0;
  for (const signal of SIGNAL_NAMES) {
    const f = bySignal.get(signal);
    if (!f) continue;
    if (signal === 'traces') counts.spans = f.events;
    if (signal === 'metrics') counts.metric_series = counts.data_points = f.events;
    if (signal === 'logs') counts.log_records = f.events;
    files[signal] = { path: f.name, bytes: f.bytes, ...(f.jsonBytes !== undefined ? { json_bytes: f.jsonBytes } : {}) };
    largestBlock = Math.max(largestBlock, f.largestBlock);
    written.push(join(opts.outDir, f.name));
    if (f.jsonBytes !== undefined) written.push(join(opts.outDir, f.name.replace(/\.pb$/, '.json')));
  }
  const pbBytes = Object.values(files).reduce((a, f) => a + f.bytes, 0);
  const compiled = Math.round(pbBytes * 1.5);
  const inFlight = IN_FLIGHT * Math.min(FRAME_BYTES, Math.max(largestBlock, 1)) * 2;
  const metadata = {
    generator: 'otel-replayd generate',
    seed: cfg.seed,
    counts,
    files,
    sender_memory: {
      bytes: compiled + inFlight,
      human: formatSize(compiled + inFlight),
      how: `compiled templates ≈ 1.5 × ${pbBytes} bytes of .pb (frames plus patch-site tables) + in-flight buffers ≈ ${IN_FLIGHT} requests in flight × 2 (stamped copy and exporter copy) × min(4 MiB, largest resource block ${largestBlock} bytes); more with workers > 1 (each worker compiles its own copy)`,
    },
    config: toYamlForm(cfg),
  };
  const metaPath = join(opts.outDir, `${cfg.output.prefix}-metadata.yaml`);
  replaceFileSync(metaPath, stringify(metadata));
  written.push(metaPath);
  return { files: written, metadata };
}

/** One worker per group; when one fails the others are stopped, so a failed run ends promptly. */
async function inWorkers(jobs: WriteJob[], onEvents: (n: number) => void): Promise<SignalFile[][]> {
  const workers: Worker[] = [];
  try {
    return await Promise.all(jobs.map((job) => inWorker(job, onEvents, workers)));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
}

function inWorker(job: WriteJob, onEvents: (n: number) => void, workers: Worker[]): Promise<SignalFile[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(builtModule('generator/write-worker.js'), { workerData: job });
    workers.push(worker);
    let result: SignalFile[] | undefined;
    let failure: Error | undefined;
    worker.on('message', (m: WriteWorkerMessage) => {
      if (m.type === 'progress') onEvents(m.events);
      else if (m.type === 'done') result = m.files;
      else failure = m.code ? new ReplaydError(m.code as ErrorCode, m.message) : new Error(m.message);
    });
    worker.on('error', (err) => (failure ??= err));
    worker.on('exit', (code) => {
      if (result && !failure) resolve(result);
      else reject(failure ?? new Error(`generator worker for ${job.signals.join(', ')} exited with code ${code}`));
    });
  });
}

function progressBar(out: WriteOptions['progress'], total: number): { add(n: number): void; done(): void } {
  if (!out || total === 0) return { add() {}, done() {} };
  let doneEvents = 0;
  let shown = -1;
  const draw = (): void => {
    const pct = Math.min(100, Math.floor((doneEvents / total) * 100));
    if (pct === shown) return;
    shown = pct;
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 30));
    const fill = Math.round((pct / 100) * width);
    out.write(`\rgenerating [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${pct}%`);
  };
  return {
    add(n) {
      doneEvents += n;
      draw();
    },
    done() {
      doneEvents = total;
      draw();
      out.write('\n');
    },
  };
}
