import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { spawnJsonLines, type JsonLinesProcess, type LogLine } from '../../bench/child-process.js';
import { packageRoot } from '../../src/package-root.js';

export const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/** The bundled demo templates (generated from config/generator.yaml). */
export const DEMO = {
  traces: join(packageRoot(), 'templates', 'demo-traces.pb'),
  metrics: join(packageRoot(), 'templates', 'demo-metrics.pb'),
  logs: join(packageRoot(), 'templates', 'demo-logs.pb'),
};

/**
 * A traces pipeline replaying the demo template through id_regen, timestamp,
 * batch_splitter (500 spans) and ratelimit to one exporter; stats every second, no
 * /metrics. `exporter` is the exporter's YAML entry, `id: { ... }`.
 */
export function tracesConfig(opts: { exporter: string; rate: number; duration?: string; workers?: number }): string {
  const id = opts.exporter.split(':')[0];
  return `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 500 }
  ratelimit: { events_per_second: ${opts.rate} }
exporters:
  ${opts.exporter}
service:${opts.duration ? `\n  duration: ${opts.duration}` : ''}
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit], exporters: [${id}]${opts.workers ? `, workers: ${opts.workers}` : ''} }
`;
}

export type { LogLine } from '../../bench/child-process.js';
export type DaemonProcess = JsonLinesProcess;

export function tempDir(prefix = 'otel-replayd-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, yaml: string, name = 'config.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  stdin?: string;
  cwd?: string;
}

/** Runs the built CLI as a real child process with JSON logs on stdout. */
export type RunCli = (args: string[], opts?: CliOptions) => DaemonProcess;

/**
 * Call once at the top of a test file: returns a `runCli` whose processes are all killed
 * (SIGKILL) after each test and waited for, so a failing or timed-out test never leaves a
 * daemon running into the next test or past the suite.
 */
export function cliKilledAfterEach(): RunCli {
  let running: DaemonProcess[] = [];
  afterEach(async () => {
    const stopping = running;
    running = [];
    await Promise.all(stopping.map(kill));
  });
  return (args, opts = {}) => {
    const d = spawnJsonLines([CLI, ...args], opts);
    running.push(d);
    return d;
  };
}

async function kill(d: DaemonProcess): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  await d.exited;
}

/** The daemon's final per-pipeline summary lines, keyed by pipeline id. */
export function summaries(lines: LogLine[]): Map<string, LogLine> {
  return new Map(lines.filter((l) => l.msg === 'summary').map((l) => [String(l.pipeline), l]));
}
