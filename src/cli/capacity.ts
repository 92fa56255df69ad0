/** `otel-replayd capacity --config FILE [--pipeline ID] [--json]`: the highest rate an endpoint sustains. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { capacityDefaults } from '../config/service.js';
import type { CapacitySettings, ReplaydConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { SIGNALS } from '../otlp/signals.js';
import { PROCESSORS } from '../processors/index.js';
import { CapacitySearch, type CapacityResult } from '../service/capacity-search.js';
import { preflight } from '../service/preflight.js';
import { logCapacity } from './checked-config.js';
import { Daemon, type Driver } from './daemon.js';

const USAGE = `usage: otel-replayd capacity --config FILE [--pipeline ID] [--json] [--log-level LEVEL]

Runs one pipeline of FILE and steps its rate up until the endpoint stops keeping up
(sent below the rate, failures or retries, or p99 latency above service.capacity's
thresholds), narrows down, and prints the highest rate held for a whole window with
the evidence of every step. Logs go to stderr; the result to stdout.

  --pipeline ID   the pipeline to drive (needed when FILE has several)
  --json          print one JSON object: max_sustained_events_per_second and the steps
`;

export async function main(args: string[]): Promise<number> {
  let values: { config?: string; pipeline?: string; json?: boolean; 'log-level'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, pipeline: { type: 'string' }, json: { type: 'boolean' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`otel-replayd capacity: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`otel-replayd capacity: --config is required\n\n${USAGE}`);
    return 2;
  }
  let cfg: ReplaydConfig;
  let id: string;
  try {
    ({ cfg, id } = searchConfig(values.config, values.pipeline));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const settings = cfg.service.capacity ?? capacityDefaults();
  const logLevel = values['log-level'] ?? cfg.service.telemetry.logLevel;
  const log = createLogger({ level: logLevel, stderr: true });
  logCapacity(log, preflight(cfg).capacity);
  const signal = cfg.service.pipelines[id]!.signal;
  let result: CapacityResult | undefined;
  const driver: Driver = async (supervisor, abort) => {
    result = await new CapacitySearch({ control: supervisor, pipeline: id, signal, settings, log }).run(abort);
  };
  const code = await new Daemon(cfg, cfg.file, log, logLevel, { driver, stderr: true }).run();
  if (result) process.stdout.write(values.json ? `${JSON.stringify(resultJson(result, settings))}\n` : formatResult(result, settings));
  return code;
}

/** The config with only the pipeline to drive; ConfigError when it cannot be driven. */
function searchConfig(file: string, pipeline: string | undefined): { cfg: ReplaydConfig; id: string } {
  const full = loadConfig(file);
  const ids = Object.keys(full.service.pipelines);
  const path = 'service.pipelines';
  if (pipeline === undefined && ids.length > 1) {
    throw new ConfigError([{ path, message: `capacity drives one pipeline: name it with --pipeline (${ids.join(', ')})` }], full.file, 'ERR_USAGE');
  }
  const id = pipeline ?? ids[0]!;
  const p = full.service.pipelines[id];
  if (!p) throw new ConfigError([{ path, message: `no pipeline "${id}"; the config has ${ids.join(', ')}` }], full.file, 'ERR_USAGE');
  // The search sets the rate through the pipeline's pacer (ratelimit).
  if (!p.processors.some((pid) => PROCESSORS.of(full.processors[pid]!).traits.includes('paces'))) {
    throw new ConfigError([{ path: `${path}.${id}.processors`, message: 'capacity search needs a processor that paces (ratelimit) to set the rate with' }], full.file);
  }
  const cfg: ReplaydConfig = { ...full, service: { ...full.service, pipelines: { [id]: p } } };
  const { problems } = preflight(cfg);
  if (problems.length > 0) throw new ConfigError(problems, cfg.file);
  return { cfg, id };
}

export function resultJson(r: CapacityResult, s: CapacitySettings): Record<string, unknown> {
  return {
    pipeline: r.pipeline,
    signal: r.signal,
    unit: SIGNALS[r.signal].unit,
    max_sustained_events_per_second: r.maxSustained,
    stopped_because: r.stoppedBecause,
    settings: {
      start_rate: s.startRate, max_rate: s.maxRate, growth: s.growth, precision: s.precision, warmup_ms: s.warmupMs, window_ms: s.windowMs,
      min_sent_ratio: s.minSentRatio, max_error_ratio: s.maxErrorRatio, max_p99_ms: s.maxP99Ms, confirm_failures: s.confirmFailures, max_steps: s.maxSteps,
    },
    steps: r.steps.map((st) => ({
      step: st.step, phase: st.phase, attempt: st.attempt, target_events_per_second: st.target, sent_events_per_second: st.sentRate, window_ms: st.windowMs,
      requests: st.requests, failed_requests: st.failedRequests, retries: st.retries, error_ratio: st.errorRatio,
      latency_p50_ms: st.p50Ms, latency_p99_ms: st.p99Ms, held: st.held, reasons: st.reasons,
    })),
  };
}

export function formatResult(r: CapacityResult, s: CapacitySettings): string {
  const unit = SIGNALS[r.signal].unit;
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const ms = (x: number | null): string => (x === null ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(0));
  const rows = [['step', 'target/s', 'sent/s', 'p50 ms', 'p99 ms', 'errors', 'result']];
  for (const st of r.steps) {
    rows.push([String(st.step), n(st.target), n(st.sentRate), ms(st.p50Ms), ms(st.p99Ms), `${(st.errorRatio * 100).toFixed(1)} %`,
      st.held ? 'held' : `failed: ${st.reasons.join('; ')}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const best = r.steps.filter((st) => st.held && st.target === r.maxSustained).at(-1);
  const verdict = r.maxSustained > 0
    ? `max sustained: ${n(r.maxSustained)} ${unit}/s (step ${best?.step}: ${n(best?.sentRate ?? 0)} ${unit}/s accepted over ${((best?.windowMs ?? s.windowMs) / 1000).toFixed(1)} s)`
    : `max sustained: none (no step held; the lowest rate tried was ${n(Math.min(...r.steps.map((st) => st.target), s.startRate))} ${unit}/s)`;
  return `capacity search, pipeline ${r.pipeline}: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}, ${r.stoppedBecause}\n${table.join('\n')}\n${verdict}\n`;
}
