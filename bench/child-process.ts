/**
 * Child processes that log JSON lines (the daemon, the sink, the bench tools), read
 * line by line. Shared by bench/run.ts and the end-to-end tests (test/helpers/daemon.ts);
 * it lives here because bench/ is compiled with src/ and the tests are not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A JSON line from the child (non-JSON lines keep their text in `msg`). */
export type LogLine = Record<string, unknown> & { msg: string };

export interface JsonLinesProcess {
  child: ChildProcess;
  lines: LogLine[];
  /** What the child wrote to stderr so far ('' when stderr is inherited). */
  stderr: () => string;
  /** Resolves with the first line matching, or rejects after `timeoutMs`. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<number | null>;
}

/**
 * Runs `node ...args` with CI=true (plain JSON logs) and collects its stdout lines.
 * stderr is captured, or passed through to ours with `inheritStderr`; `stdin` is written
 * to the child's standard input, which is then closed (without it stdin is empty).
 */
export function spawnJsonLines(args: string[], opts: { env?: Record<string, string>; inheritStderr?: boolean; stdin?: string; cwd?: string } = {}): JsonLinesProcess {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: { ...process.env, CI: 'true', ...opts.env },
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', opts.inheritStderr ? 'inherit' : 'pipe'],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
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
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
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

/** Resident set size now and its peak (high-water mark) of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1]) / 1024; // NaN, never 0, if a field is missing
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

/**
 * Samples a process's CPU time every `everyMs`, so the CPU it used inside a window known
 * only afterwards can be read: on a shared machine, work per CPU second says more about a
 * process than work per wall second.
 */
export interface CpuSampler {
  stop(): void;
  /** CPU seconds used between two times (ms since the Unix epoch) inside the sampled span. */
  between(fromMs: number, toMs: number): number;
  /** The latest sample. */
  last(): number;
}

export function sampleCpu(pid: number, everyMs = 250): CpuSampler {
  const samples: { at: number; cpu: number }[] = [];
  const take = () => {
    try {
      samples.push({ at: Date.now(), cpu: cpuSeconds(pid) });
    } catch {
      /* exited */
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  const at = (t: number) => {
    const i = samples.findIndex((s) => s.at >= t);
    return samples[i < 0 ? samples.length - 1 : i]!.cpu;
  };
  return { stop: () => clearInterval(timer), between: (fromMs, toMs) => at(toMs) - at(fromMs), last: () => samples.at(-1)!.cpu };
}

/** The middle value (the upper one of an even count): bench rounds are few, so no averaging. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
