/**
 * What a config asks of the machine, checked before any worker starts: worker threads
 * against the cores, and an estimate of the memory every pipeline needs against
 * `service.memory_limit`. Too many workers or pipelines would otherwise be spawned
 * all at once and grow past the machine's memory, sending and logging nothing.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { resolvePipelines } from '../config/resolve.js';
import type { ReplaydConfig, ResolvedPipeline } from '../config/types.js';
import type { ConfigProblem } from '../errors.js';
import { RECEIVERS } from '../receivers/index.js';
import { pipelinePlan } from '../worker/pipeline-plan.js';
import { formatSize } from '../units.js';

const MiB = 1024 ** 2;
/** The main thread before any pipeline: config, telemetry, the sink extension. */
const PROCESS_BYTES = 80 * MiB;
/** One worker thread before its templates: a V8 isolate, the logger, the exporters' clients (~30 MB measured). */
const THREAD_BYTES = 32 * MiB;
/**
 * Resident bytes per template byte, measured on a 44 MB generated traces template (and
 * matching the bench's peak RSS): the template while it loads, and what compiling adds per
 * encoding (frames, their patch sites, compile's transient arrays).
 */
const LOADING = 1.3;
const COMPILED = { proto: 1.8, json: 2.4 } as const;
/** Bytes of one request per byte of its protobuf frame. */
const REQUEST = { proto: 1, json: 2.1 } as const;
/** More threads than this per core only adds memory and switching: a worker is busy or waiting on its endpoint. */
const THREADS_PER_CORE = 16;
const MIN_THREAD_LIMIT = 64;

export interface CapacityOptions {
  /** Defaults: os.availableParallelism(), os.totalmem(), /sys/fs/cgroup (tests pass their own). */
  cores?: number;
  totalMemory?: number;
  cgroupRoot?: string;
}

export interface PipelineNeed {
  pipeline: string;
  workers: number;
  /** Estimated peak bytes of one worker: thread, template, compiled frames, requests in flight. */
  perWorker: number;
}

export interface Capacity {
  threads: number;
  threadLimit: number;
  cores: number;
  /** Estimated bytes for the whole daemon. */
  memory: number;
  memoryLimit: number;
  /** Where the limit came from, for messages. */
  memoryLimitSource: string;
  pipelines: PipelineNeed[];
}

export function capacityOf(cfg: ReplaydConfig, opts: CapacityOptions = {}): Capacity {
  const cores = opts.cores ?? availableParallelism();
  const sizes = new Map<string, number>();
  const fileBytes = (file: string): number => sizes.get(file) ?? sizes.set(file, templateFileBytes(file)).get(file)!;
  const pipelines = resolvePipelines(cfg).map((r) => ({ pipeline: r.pipeline.id, workers: r.pipeline.workers, perWorker: workerBytes(r, fileBytes) }));
  const limit = cfg.service.memoryLimit !== undefined
    ? { bytes: cfg.service.memoryLimit, source: 'service.memory_limit' }
    : defaultMemoryLimit(opts.cgroupRoot, opts.totalMemory);
  return {
    threads: pipelines.reduce((n, p) => n + p.workers, 0),
    threadLimit: Math.max(MIN_THREAD_LIMIT, THREADS_PER_CORE * cores),
    cores,
    memory: PROCESS_BYTES + pipelines.reduce((n, p) => n + p.workers * p.perWorker, 0),
    memoryLimit: limit.bytes,
    memoryLimitSource: limit.source,
    pipelines,
  };
}

/** Problems with a capacity, each naming the key to change. */
export function capacityProblems(c: Capacity): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (c.threads > c.threadLimit) {
    const top = [...c.pipelines].sort((a, b) => b.workers - a.workers);
    const alone = top[0]!.workers > c.threadLimit;
    problems.push({
      path: alone ? `service.pipelines.${top[0]!.pipeline}.workers` : 'service.pipelines',
      message: `${c.threads} worker threads in all (${largest(top, (p) => `${p.workers}`)}) is more than ${c.threadLimit}, ` +
        `the most this machine runs usefully (${THREADS_PER_CORE} per core × ${c.cores} cores, at least ${MIN_THREAD_LIMIT}); use fewer workers or pipelines`,
    });
  }
  if (c.memory > c.memoryLimit) {
    const top = [...c.pipelines].sort((a, b) => b.workers * b.perWorker - a.workers * a.perWorker);
    problems.push({
      path: 'service.memory_limit',
      message: `the pipelines would need about ${formatSize(c.memory)} ` +
        `(${largest(top, (p) => `${p.workers} worker${p.workers === 1 ? '' : 's'} × ${formatSize(p.perWorker)}`)}), ` +
        `more than the limit of ${formatSize(c.memoryLimit)} (${c.memoryLimitSource}); use fewer workers, pipelines or smaller templates, or raise service.memory_limit`,
    });
  }
  return problems;
}

/** "a: x, b: y, c: z and 7 more" for the three largest. */
function largest(sorted: PipelineNeed[], what: (p: PipelineNeed) => string): string {
  const shown = sorted.slice(0, 3).map((p) => `${p.pipeline}: ${what(p)}`).join(', ');
  return sorted.length > 3 ? `${shown} and ${sorted.length - 3} more` : shown;
}

/** The cgroup's memory limit when there is one (v2, then v1), else 80 % of RAM. */
export function defaultMemoryLimit(cgroupRoot = '/sys/fs/cgroup', total = totalmem()): { bytes: number; source: string } {
  for (const file of ['memory.max', join('memory', 'memory.limit_in_bytes')]) {
    let text: string;
    try {
      text = readFileSync(join(cgroupRoot, file), 'utf8').trim();
    } catch {
      continue;
    }
    // "max" (v2) or a huge number (v1, ~2^63) mean no limit; a limit above RAM is no limit either.
    const bytes = Number(text);
    if (/^\d+$/.test(text) && bytes < total) return { bytes, source: `the cgroup memory limit, ${join(cgroupRoot, file)}` };
  }
  return { bytes: Math.floor(total * 0.8), source: `80 % of ${formatSize(total)} RAM` };
}

/**
 * One worker at its peak: its thread; the template and its compiled frames, both alive
 * while compiling; and `max_in_flight` requests per exporter, each as large as the
 * largest frame (the whole template without batch_splitter).
 */
function workerBytes(r: ResolvedPipeline, fileBytes: (file: string) => number): number {
  const receiver = r.receivers[0]!;
  const template = RECEIVERS.of(receiver).templateBytes(receiver, r.pipeline.signal, fileBytes);
  const split = pipelinePlan(r, 0).plan.split;
  const frame = split ? Math.min(split.maxBytes, template) : template;
  const encodings = new Set(r.exporters.map((e) => e.encoding));
  let bytes = THREAD_BYTES + template * LOADING;
  for (const enc of encodings) bytes += template * COMPILED[enc];
  for (const e of r.exporters) bytes += e.maxInFlight * frame * REQUEST[e.encoding];
  return Math.round(bytes);
}

/**
 * A template file's size once loaded, without loading it: its size, or for gzip its
 * stored uncompressed size (the last 4 bytes, modulo 4 GiB). OTLP/JSON counts its text
 * size, about twice its encoded size: decoding it needs that much and more.
 */
export function templateFileBytes(file: string): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 0; // the config check reports missing files
  }
  if (size < 18) return size;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    if (head[0] !== 0x1f || head[1] !== 0x8b) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } finally {
    closeSync(fd);
  }
}
