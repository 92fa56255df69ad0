/** `extensions:` — the built-in sink, which receives what the pipelines send, and the recorder, which writes it down. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { DEFAULT_REDACT } from '../recorder/recorder.js';
import type { RecorderExtensionConfig, SinkExtensionConfig } from './types.js';
import { checkHostPort } from './endpoints.js';
import { Section, type KeyTable } from './schema.js';

export const EXTENSION_TYPES = ['sink', 'recorder'] as const;

export const SINK_KEYS: KeyTable = {
  grpc: { doc: 'host:port to serve OTLP gRPC on; at least one of grpc and http is required.' },
  http: { doc: 'host:port to serve OTLP/HTTP on.' },
  verify: { doc: 'Decode every request and check ids and timestamps (costs CPU).', default: false },
  verify_sample: { doc: 'With verify: the fraction of traces checked, chosen by trace id so a trace is checked whole (the report says how much was left out).', default: 1 },
  max_rate: { doc: 'Accept at most this many events/s (a token bucket); above it answer RESOURCE_EXHAUSTED / 429 with a retry delay, as an overloaded backend would.' },
  report: { doc: 'Write a JSON report of what was received to this file (relative to the config file) at exit.' },
};

export const RECORDER_KEYS: KeyTable = {
  grpc: { doc: 'host:port to receive OTLP gRPC on; at least one of grpc and http is required (the same as `otel-replayd record`).' },
  http: { doc: 'host:port to receive OTLP/HTTP (protobuf or JSON) on.' },
  out: { doc: 'Folder for <signal>.pb.gz and recording.yaml, relative to the config file; created if missing, refused if it already holds a recording.', required: true },
  duration: { doc: 'Stop recording after this long; 0 = until the daemon stops.', default: 0 },
  max_size: { doc: 'Stop before the recording takes more than this on disk (e.g. 100MB); unset = no limit.' },
  signals: { doc: 'Which of traces, metrics, logs to record; others are answered UNIMPLEMENTED / 404.', default: 'traces,metrics,logs' },
  redact: { doc: 'Regular expressions over attribute keys whose values are blanked, added to the defaults (a list).' },
  default_redact: { doc: `Also blank the default keys: ${DEFAULT_REDACT.join(' ')}. String values holding an email address are always blanked.`, default: true },
};

export function parseRecorder(raw: unknown, baseDir: string, path: string, problems: ConfigProblem[]): RecorderExtensionConfig {
  const s = new Section(raw, path, RECORDER_KEYS, problems);
  const out = s.string('out');
  const cfg: RecorderExtensionConfig = {
    out: out === undefined ? '' : resolve(baseDir, out),
    durationMs: s.duration('duration') ?? 0,
    maxSize: Infinity,
    signals: [...SIGNAL_NAMES],
    redact: [],
  };
  readListenAddresses(s, cfg, path, problems);
  if (s.has('max_size')) cfg.maxSize = s.size('max_size', { max: Number.MAX_SAFE_INTEGER }) ?? Infinity;
  const signals = s.value('signals');
  if (signals !== undefined) {
    const list = typeof signals === 'string' ? signals.split(',').map((x) => x.trim()).filter(Boolean) : signals;
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => !(SIGNAL_NAMES as readonly unknown[]).includes(x))) {
      s.problem('signals', `must list some of ${SIGNAL_NAMES.join(', ')}`);
    } else cfg.signals = list as Signal[];
  }
  const redact = s.value('redact');
  const patterns = redact === undefined ? [] : Array.isArray(redact) ? redact : [redact];
  patterns.forEach((p, i) => {
    const where = Array.isArray(redact) ? `redact[${i}]` : 'redact';
    if (typeof p !== 'string') return s.problem(where, 'must be a regular expression (a string)');
    try {
      new RegExp(p);
    } catch (err) {
      return s.problem(where, `is not a regular expression: ${(err as Error).message}`);
    }
  });
  cfg.redact = [...(s.bool('default_redact') ? DEFAULT_REDACT : []), ...patterns.filter((p): p is string => typeof p === 'string')];
  return cfg;
}

export function parseSink(raw: unknown, baseDir: string, path: string, problems: ConfigProblem[]): SinkExtensionConfig {
  const s = new Section(raw, path, SINK_KEYS, problems);
  const cfg: SinkExtensionConfig = { verify: s.bool('verify') };
  readListenAddresses(s, cfg, path, problems);
  const sample = s.number('verify_sample', { positive: true, max: 1 })!;
  if (sample !== 1) {
    if (!cfg.verify) s.problem('verify_sample', 'needs verify: true');
    cfg.verifySample = sample;
  }
  const maxRate = s.number('max_rate', { positive: true });
  if (maxRate !== undefined) cfg.maxRate = maxRate;
  const report = s.string('report');
  if (report !== undefined) {
    cfg.report = resolve(baseDir, report);
    if (!isDirectory(dirname(cfg.report))) s.problem('report', `folder ${dirname(cfg.report)} does not exist`);
  }
  return cfg;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The sink's and the recorder's `grpc` / `http` addresses: at least one, each host:port to listen on. */
function readListenAddresses(s: Section, cfg: { grpc?: string; http?: string }, path: string, problems: ConfigProblem[]): void {
  for (const key of ['grpc', 'http'] as const) {
    const addr = s.string(key);
    if (addr === undefined) continue;
    const bad = checkHostPort(addr, { listen: true });
    if (bad) s.problem(key, bad);
    cfg[key] = addr;
  }
  if (!s.has('grpc') && !s.has('http')) problems.push({ path, message: 'needs at least one of grpc, http' });
}
