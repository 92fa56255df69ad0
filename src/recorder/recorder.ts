import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { startSink, type Sink, type SinkCounts } from '../sink/index.js';
import { DiskBudget } from './disk-budget.js';
import { Redactor } from './redact.js';
import { RecordingTee, type StopReason } from './recording-tee.js';
import { writeRecordingYaml, YAML_BASE_BYTES } from './recording-yaml.js';

export type { StopReason } from './recording-tee.js';
export { DEFAULT_REDACT } from './redact.js';

export interface RecorderOptions {
  /** host:port to serve OTLP/gRPC on (port 0 picks one). */
  grpc?: string;
  http?: string;
  /** Folder for the recording; created if missing, refused if it already holds one. */
  out: string;
  /** Stop after this long; 0 = until stopped. */
  durationMs: number;
  /** Most bytes the recording may take on disk; Infinity = no limit. */
  maxSize: number;
  /** Attribute key patterns whose values are blanked (DEFAULT_REDACT and the user's). */
  redact: readonly string[];
  signals: readonly Signal[];
  /** `otel-replayd 0.1.0`, for the metadata. */
  tool: string;
  log?: Logger;
}

export interface RecordingSummary {
  dir: string;
  stoppedBy: StopReason;
  durationMs: number;
  /** Per recorded signal: requests and events written, compressed bytes. */
  signals: Partial<Record<Signal, { file: string | null; requests: number; events: number; bytes: number }>>;
  services: string[];
  refusedRequests: number;
  blankedValues: number;
  /** Bytes of the folder's recording files and metadata. */
  diskBytes: number;
}

export interface Recorder {
  grpcAddress?: string;
  httpAddress?: string;
  /** Resolves when the recording ends by itself: duration, size limit or a write error. */
  readonly ended: Promise<StopReason>;
  counts(): SinkCounts;
  /** Stops receiving (in-flight requests finish), writes the files and the metadata. */
  finish(reason?: StopReason): Promise<RecordingSummary>;
}

/**
 * Records OTLP traffic into template files: an OTLP receiver (the sink's gRPC and HTTP
 * servers, answering like a real endpoint) whose tee writes every accepted request.
 */
export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  if (!opts.grpc && !opts.http) throw new UsageError('the recorder needs a gRPC or an HTTP address (or both)');
  if (opts.signals.length === 0) throw new UsageError('the recorder needs at least one signal to record');
  const dir = resolve(opts.out);
  prepareDir(dir);
  const budget = new DiskBudget(opts.maxSize);
  const yamlBase = YAML_BASE_BYTES + opts.redact.reduce((n, p) => n + 6 * p.length + 8, 0);
  if (!budget.reserve(yamlBase)) throw new UsageError(`max size ${opts.maxSize} bytes leaves no room for a recording (at least ${yamlBase + 1024} bytes)`);
  const redactor = new Redactor(opts.redact);
  let endedBy: (r: StopReason) => void = () => {};
  const ended = new Promise<StopReason>((r) => (endedBy = r));
  const tee = new RecordingTee(dir, SIGNAL_NAMES.filter((s) => opts.signals.includes(s)), budget, redactor, endedBy);
  const timer = opts.durationMs > 0 ? setTimeout(() => {
    tee.end('duration');
    endedBy('duration');
  }, opts.durationMs) : undefined;
  let sink: Sink;
  try {
    sink = await startSink({ grpc: opts.grpc, http: opts.http, tee, log: opts.log });
  } catch (err) {
    clearTimeout(timer);
    tee.end('stopped');
    await tee.finish();
    throw err;
  }
  let finishing: Promise<RecordingSummary> | undefined;
  const finish = async (reason: StopReason): Promise<RecordingSummary> => {
    clearTimeout(timer);
    tee.end(reason);
    const endedAt = Date.now();
    // In-flight requests are answered (and committed) or given up before the files close.
    await sink.close();
    await tee.finish();
    const files = [...tee.files.values()];
    const yamlBytes = await writeRecordingYaml(dir, {
      tool: opts.tool, startedAt: tee.startedAt, endedAt, stoppedBy: tee.ended!, maxSize: opts.maxSize,
      redact: { patterns: opts.redact, blanked: redactor.blanked }, files, services: tee.services, refusedRequests: tee.refused,
    });
    return {
      dir,
      stoppedBy: tee.ended!,
      durationMs: endedAt - tee.startedAt,
      signals: Object.fromEntries(files.map((f) => [f.signal, { file: f.requests > 0 ? f.name : null, requests: f.requests, events: f.events, bytes: f.diskBytes }])),
      services: [...tee.services.keys()].sort(),
      refusedRequests: tee.refused,
      blankedValues: redactor.blanked,
      diskBytes: files.reduce((n, f) => n + f.diskBytes, yamlBytes),
    };
  };
  return {
    grpcAddress: sink.grpcAddress,
    httpAddress: sink.httpAddress,
    ended,
    counts: () => sink.counts(),
    finish: (reason = 'stopped') => (finishing ??= finish(reason)),
  };
}

/** Creates the folder; one that already holds a recording (or part of one) is refused rather than mixed into. */
function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`cannot create the output folder ${dir}: ${(err as Error).message}`);
  }
  const ours = recordingFilesIn(dir);
  if (ours.length > 0) throw new UsageError(`${dir} already holds a recording (${ours.join(', ')}); choose another folder or remove them`);
}

/** The recording files (finished or partial) in `dir`; none when it does not exist. */
export function recordingFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((f) => /^(recording\.yaml|(traces|metrics|logs)\.pb\.gz)(\.partial)?$/.test(f));
}
