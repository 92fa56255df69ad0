import { parseArgs } from 'node:util';
import { ReplaydError, UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { packageVersion } from '../package-root.js';
import { DEFAULT_REDACT, startRecorder, type RecorderOptions, type StopReason } from '../recorder/recorder.js';
import { splitHostPort } from '../sink/server-options.js';
import { formatSize, parseDuration, parseSize } from '../units.js';

const USAGE = `otel-replayd record — records OTLP traffic into templates that replay as it came

Usage: otel-replayd record [--grpc HOST:PORT] [--http HOST:PORT] --out DIR [options]

  --grpc HOST:PORT        receive OTLP/gRPC (port 0 picks a free port)
  --http HOST:PORT        receive OTLP/HTTP, protobuf or JSON (at least one of --grpc, --http)
  --out DIR               where to write <signal>.pb.gz and recording.yaml (created if
                          missing; a folder that already holds a recording is refused)
  --duration DUR          stop after this long (default: until SIGINT or SIGTERM)
  --max-size SIZE         stop before the recording takes more than this on disk (e.g. 100MB)
  --signals LIST          which of traces,metrics,logs to record (default all); others are
                          answered as an endpoint without that pipeline would (UNIMPLEMENTED / 404)
  --redact REGEX          also blank attribute values whose key matches REGEX (whole key,
                          case-insensitive); repeatable
  --no-default-redact     do not blank the default keys:
                          ${DEFAULT_REDACT.join(' ')}
                          (string values holding an email address are always blanked)
  --interval DUR          progress line interval (default 5s)

Replay the recording with the template receiver (traces: DIR/traces.pb.gz, ...).
Stops at --duration, --max-size, SIGINT or SIGTERM; finished files appear only when
complete. Exits 0 when stopped, 1 when writing failed, 2 on bad flags.
`;

const OPTIONS = {
  grpc: { type: 'string' },
  http: { type: 'string' },
  out: { type: 'string' },
  duration: { type: 'string' },
  'max-size': { type: 'string' },
  signals: { type: 'string' },
  redact: { type: 'string', multiple: true },
  'no-default-redact': { type: 'boolean' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(args: string[]): Promise<number> {
  let parsed: { recorder: Omit<RecorderOptions, 'log' | 'tool'>; intervalMs: number } | 'help';
  try {
    parsed = parseFlags(args);
  } catch (err) {
    if (!(err instanceof UsageError) && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') !== true) throw err;
    process.stderr.write(`otel-replayd record: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // Handlers first: a script that stops the recorder as soon as it listens must get complete files.
  let onSignal: (sig: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<StopReason>((resolve) => {
    onSignal = (sig) => resolve(sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const log = createLogger({ name: 'otel-replayd-record' });
  let recorder;
  try {
    recorder = await startRecorder({ ...parsed.recorder, tool: `otel-replayd ${packageVersion()}`, log });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`otel-replayd record: ${err.message}\n`);
      return 2;
    }
    log.error({ err: (err as Error).message, code: (err as ReplaydError).code }, 'recorder failed to start');
    return 1;
  }
  // Machine-readable: scripts started with port 0 read the bound addresses from this line.
  log.info({ grpc: recorder.grpcAddress ?? null, http: recorder.httpAddress ?? null, out: parsed.recorder.out, signals: parsed.recorder.signals }, 'recorder listening');
  const timer = setInterval(() => {
    const c = recorder.counts();
    log.info(Object.fromEntries(parsed.recorder.signals.map((s) => [s, { requests: c[s].requests, events: c[s].events, refused: c[s].faultedRequests }])), 'recording');
  }, parsed.intervalMs);
  const reason = await Promise.race([recorder.ended, signalled]);
  clearInterval(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log.info({ reason }, 'recording stopping');
  try {
    const summary = await recorder.finish(reason);
    log.info({ ...summary, disk: formatSize(summary.diskBytes) }, 'recording written');
    return summary.stoppedBy === 'write_error' ? 1 : 0;
  } catch (err) {
    log.error({ err: (err as Error).message }, 'writing the recording failed');
    return 1;
  }
}

function parseFlags(args: string[]): { recorder: Omit<RecorderOptions, 'log' | 'tool'>; intervalMs: number } | 'help' {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (v.help) return 'help';
  if (!v.grpc && !v.http) throw new UsageError('give --grpc HOST:PORT, --http HOST:PORT, or both');
  if (!v.out) throw new UsageError('--out DIR is required');
  for (const flag of ['grpc', 'http'] as const) {
    if (v[flag] === undefined) continue;
    try {
      splitHostPort(v[flag]);
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  }
  const durationMs = v.duration === undefined ? 0 : duration('--duration', v.duration);
  let maxSize = Infinity;
  if (v['max-size'] !== undefined) {
    const n = parseSize(v['max-size']);
    if (n === undefined || n <= 0) throw new UsageError(`--max-size must be a size like 100MB or 1GiB, got "${v['max-size']}"`);
    maxSize = n;
  }
  const signals = v.signals === undefined ? [...SIGNAL_NAMES] : v.signals.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = signals.filter((s) => !(SIGNAL_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0 || signals.length === 0) throw new UsageError(`--signals takes a list of ${SIGNAL_NAMES.join(', ')}, got "${v.signals}"`);
  const intervalMs = v.interval === undefined ? 5000 : duration('--interval', v.interval);
  if (intervalMs <= 0) throw new UsageError('--interval must be greater than 0');
  return {
    recorder: {
      grpc: v.grpc, http: v.http, out: v.out, durationMs, maxSize,
      redact: [...(v['no-default-redact'] ? [] : DEFAULT_REDACT), ...(v.redact ?? [])],
      signals: signals as Signal[],
    },
    intervalMs,
  };
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration like 30s or 5m, got "${value}"`);
  return ms;
}
