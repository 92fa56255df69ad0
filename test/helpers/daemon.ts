import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A pino JSON line from the daemon (non-JSON lines keep their text in `msg`). */
export type LogLine = Record<string, unknown> & { msg: string };

export interface DaemonProcess {
  child: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  /** Resolves with the first line matching, or rejects after `timeoutMs`. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<number | null>;
}

export function tempDir(prefix = 'otel-replayd-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, yaml: string, name = 'config.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Runs the built CLI as a real child process with JSON logs on stdout. */
export function runCli(args: string[], env: Record<string, string> = {}): DaemonProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const watchers: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let err = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of [...watchers]) {
        if (w.pred(line)) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(pred, timeoutMs = 20_000) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${err}\nlast lines: ${JSON.stringify(lines.slice(-5))}`)), timeoutMs);
        watchers.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
  };
}

/** The daemon's final per-pipeline summary lines, keyed by pipeline id. */
export function summaries(lines: LogLine[]): Map<string, LogLine> {
  return new Map(lines.filter((l) => l.msg === 'summary').map((l) => [String(l.pipeline), l]));
}
