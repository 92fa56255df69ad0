import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReplaydError, UsageError } from '../errors.js';
import { createLogger, resultLogger } from '../log.js';
import { snakeCased } from '../snake-case.js';
import { parseDuration } from '../units.js';
import { FAIL_CODES, type FailCode, type FaultOptions } from '../sink/faults.js';
import { startSink, writeReport, type CountsBy, type SinkOptions, type VerifyOptions } from '../sink/index.js';
import { tuneGcForReceiving } from '../sink/receive-gc.js';
import { summarize, warnLate } from '../sink/report.js';
import { splitHostPort } from '../sink/server-options.js';
import { takeHeldSignals } from './early-signals.js';
import { LOG_LEVEL_ENV, logLevelOf, parseSeedFlag } from './flags.js';

const USAGE = `otel-replayd sink — an OTLP receiver that counts, verifies and injects faults

Usage: otel-replayd sink [--grpc HOST:PORT] [--http HOST:PORT] [options]

  --grpc HOST:PORT        serve OTLP/gRPC (port 0 picks a free port)
  --http HOST:PORT        serve OTLP/HTTP (at least one of --grpc, --http)
  --verify                decode every request and check ids, parent links and times, and
                          report spans arriving before they end or after their root (slower)
  --verify-window DUR     timestamps must lie within now ± DUR (default 1h)
  --verify-sample F       verify this fraction of traces (0..1], chosen by trace id so a
                          trace is checked whole; the report says how much was sampled
  --report FILE           write a JSON summary on exit
  --count-by KEY          also count events per value of resource attribute KEY (e.g. the
                          replica of a scaled-out run), in the stats and summary lines
  --interval DUR          stats line interval (default 5s)
  --fail-rate F           answer this fraction of requests (0..1) with a failure
  --fail-code CODE        ${FAIL_CODES.join('|')} (default unavailable)
  --retry-after DUR       send RetryInfo (gRPC) / Retry-After (HTTP) with failures
  --delay DUR             delay every response
  --max-rate N            accept at most N events/s (a token bucket holding 100 ms of
                          them); above it answer RESOURCE_EXHAUSTED with RetryInfo (gRPC)
                          or 429 with Retry-After (HTTP), with the time until they fit
  --seed N                seed for --fail-rate, to repeat a failure pattern
  --tls-cert FILE --tls-key FILE [--tls-client-ca FILE]
                          serve TLS; with a client CA, require client certificates (mTLS)

The log level is $${LOG_LEVEL_ENV} (default info); the summary is printed at any level.
Stops on SIGINT or SIGTERM, writes the report, exits 0. A port in use exits 1, bad flags 2.
`;

const OPTIONS = {
  grpc: { type: 'string' },
  http: { type: 'string' },
  verify: { type: 'boolean' },
  'verify-window': { type: 'string' },
  'verify-sample': { type: 'string' },
  report: { type: 'string' },
  'count-by': { type: 'string' },
  interval: { type: 'string' },
  'fail-rate': { type: 'string' },
  'fail-code': { type: 'string' },
  'retry-after': { type: 'string' },
  delay: { type: 'string' },
  'max-rate': { type: 'string' },
  seed: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface SinkCliOptions {
  sink: Omit<SinkOptions, 'log'>;
  report?: string;
  intervalMs: number;
}

export async function main(args: string[]): Promise<number> {
  let parsed: SinkCliOptions | 'help';
  let level: string;
  try {
    parsed = parseFlags(args);
    level = logLevelOf(undefined, process.env, 'info');
  } catch (err) {
    if (!(err instanceof UsageError) && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') !== true) throw err;
    process.stderr.write(`otel-replayd sink: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // Handlers go in before anything is printed: a script that reads "sink listening" and
  // stops the sink at once must get a clean stop and a report, not Node's default exit.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Signals that came while modules were loading: stop as soon as the sink is up.
    const early = takeHeldSignals()[0];
    if (early) stop(early);
  });
  const log = createLogger({ name: 'otel-replayd-sink', level });
  tuneGcForReceiving();
  let sink;
  try {
    sink = await startSink({ ...parsed.sink, log });
  } catch (err) {
    log.error({ err: (err as Error).message, code: (err as ReplaydError).code }, 'sink failed to start');
    return 1;
  }
  // Machine-readable: tests and scripts started with port 0 read the bound addresses from this line.
  log.info({ grpc: sink.grpcAddress ?? null, http: sink.httpAddress ?? null, verify: !!parsed.sink.verify }, 'sink listening');

  let last = sink.counts();
  let lastAt = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const counts = sink.counts();
    const summary = summarize(counts, last, (now - lastAt) / 1000);
    log.info({ ...snakeCased(summary), ...byValue(parsed.sink.countBy, sink.countsBy()) }, 'sink stats');
    last = counts;
    lastAt = now;
  }, parsed.intervalMs);

  const signal = await stopped;
  clearInterval(timer);
  log.info({ signal }, 'sink stopping');
  await sink.close();
  const report = await sink.report();
  const v = report.verification;
  resultLogger(log).info({
    total: report.total,
    verification: v ? { ok: v.ok, problems: v.problems, skipped_requests: v.skipped_requests, arrival: { ...v.arrival, examples: undefined } } : null,
    ...byValue(parsed.sink.countBy, sink.countsBy()),
  }, 'sink summary');
  warnLate(log, report.total.late_requests);
  if (parsed.report) {
    try {
      await writeReport(parsed.report, report);
    } catch (err) {
      log.error({ file: parsed.report, err: (err as Error).message }, 'could not write the sink report');
      return 1;
    }
  }
  return 0;
}

function parseFlags(args: string[]): SinkCliOptions | 'help' {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (v.help) return 'help';
  if (!v.grpc && !v.http) throw new UsageError('give --grpc HOST:PORT, --http HOST:PORT, or both');
  for (const flag of ['grpc', 'http'] as const) {
    if (v[flag] !== undefined) {
      try {
        splitHostPort(v[flag]);
      } catch (err) {
        throw new UsageError(`--${flag}: ${(err as Error).message}`);
      }
    }
  }
  if (!!v['tls-cert'] !== !!v['tls-key']) throw new UsageError('--tls-cert and --tls-key go together');
  if (v['tls-client-ca'] && !v['tls-cert']) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
  for (const flag of ['tls-cert', 'tls-key', 'tls-client-ca'] as const) {
    if (v[flag] !== undefined && !existsSync(v[flag])) throw new UsageError(`--${flag}: file not found: ${v[flag]}`);
  }
  const faults: FaultOptions = {};
  if (v['fail-rate'] !== undefined) {
    const rate = Number(v['fail-rate']);
    if (v['fail-rate'].trim() === '' || !(rate >= 0 && rate <= 1)) throw new UsageError(`--fail-rate must be a number between 0 and 1, got "${v['fail-rate']}"`);
    faults.failRate = rate;
  }
  if (v['fail-code'] !== undefined) {
    if (!FAIL_CODES.includes(v['fail-code'] as FailCode)) throw new UsageError(`--fail-code must be one of ${FAIL_CODES.join(', ')}, got "${v['fail-code']}"`);
    faults.failCode = v['fail-code'] as FailCode;
  }
  if (v['retry-after'] !== undefined) faults.retryAfterMs = duration('--retry-after', v['retry-after']);
  if (v.delay !== undefined) faults.delayMs = duration('--delay', v.delay);
  if (v.seed !== undefined) faults.seed = parseSeedFlag(v.seed);
  let maxRate: number | undefined;
  if (v['max-rate'] !== undefined) {
    maxRate = Number(v['max-rate']);
    if (v['max-rate'].trim() === '' || !(maxRate > 0) || !Number.isFinite(maxRate)) throw new UsageError(`--max-rate must be a positive number of events per second, got "${v['max-rate']}"`);
  }
  const intervalMs = v.interval === undefined ? 5000 : duration('--interval', v.interval);
  if (intervalMs <= 0) throw new UsageError('--interval must be greater than 0');
  let verify: SinkOptions['verify'] = v.verify ?? false;
  if (v['verify-window'] !== undefined || v['verify-sample'] !== undefined) {
    const opts: VerifyOptions = {};
    if (v['verify-window'] !== undefined) {
      opts.timeWindowMs = duration('--verify-window', v['verify-window']);
      if (opts.timeWindowMs <= 0) throw new UsageError('--verify-window must be greater than 0');
      if (!verify) throw new UsageError('--verify-window needs --verify');
    }
    if (v['verify-sample'] !== undefined) {
      opts.sample = Number(v['verify-sample']);
      if (v['verify-sample'].trim() === '' || !(opts.sample > 0 && opts.sample <= 1)) throw new UsageError(`--verify-sample must be a fraction in (0, 1], got "${v['verify-sample']}"`);
      if (!verify) throw new UsageError('--verify-sample needs --verify');
    }
    verify = opts;
  }
  return {
    sink: {
      grpc: v.grpc,
      http: v.http,
      verify,
      faults,
      countBy: v['count-by'],
      maxRate,
      tls: v['tls-cert'] ? { certFile: v['tls-cert'], keyFile: v['tls-key']!, clientCaFile: v['tls-client-ca'] } : undefined,
    },
    report: v.report,
    intervalMs,
  };
}

/** `count_by: { key, events: { signal: { value: n } } }` with --count-by; attribute values are data, never snake-cased. */
function byValue(key: string | undefined, by: CountsBy): { count_by?: { key: string; events: CountsBy } } {
  return key === undefined ? {} : { count_by: { key, events: by } };
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration like 250ms, 5s or 1m, got "${value}"`);
  return ms;
}
