/** The daemon command (`otel-replayd [run] --config FILE`) as a real child process. */
import { execFileSync } from 'node:child_process';
import { constants, copyFileSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/host-port.js';
import { CLI, DEMO, cliKilledAfterEach, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

/** One pass over the demo traces to `endpoint` (an OTLP/HTTP base URL); no /metrics unless given. */
function oneLoop(endpoint: string, opts: { traces?: string; metrics?: string; extensions?: string } = {}): string {
  return `
receivers:
  template/demo: { traces: ${opts.traces ?? DEMO.traces}, loops: 1 }
exporters:
  otlp_http: { endpoint: ${endpoint} }
${opts.extensions ?? ''}
service:
  telemetry: { stats_interval: 1s, metrics: { address: ${opts.metrics ?? 'none'} } }
  pipelines:
    traces: { receivers: [template/demo], exporters: [otlp_http] }
`;
}

/** A port held by another listener for the duration of `fn`. */
async function withPortTaken(fn: (port: number) => Promise<void>): Promise<void> {
  const blocker: Server = createServer();
  const port = await listen(blocker, '127.0.0.1', 0, { code: 'ERR_TEST_LISTEN', setting: 'blocker' });
  try {
    await fn(port);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
}

/**
 * Opens a FIFO for writing once `d` has opened it for reading. Non-blocking, so a daemon
 * that never gets there fails the test instead of leaving a thread blocked in open().
 */
async function openOnceRead(fifo: string, d: DaemonProcess): Promise<FileHandle> {
  for (;;) {
    try {
      return await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
    }
    if (d.child.exitCode !== null || d.child.signalCode !== null) throw new Error(`the daemon exited before reading its config: ${d.stderr()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('otel-replayd run: usage', () => {
  it.each([['run', '--help'], ['run', '-h'], ['--config', 'x.yaml', '--help']])('prints the run help and exits 0 for %j', async (...args) => {
    const d = runCli(args);
    expect(await d.exited).toBe(0);
    const help = d.lines.map((l) => l.msg).join('\n');
    expect(help).toContain('Usage: otel-replayd [run] --config FILE [--log-level LEVEL]');
    expect(help).toContain('-c, --config FILE');
    expect(help).toContain('- reads it from stdin');
    expect(help).toContain('$OTEL_REPLAYD_LOG_LEVEL');
    expect(help).toContain('--replica I/N        run as replica I of N (0-based)');
    expect(d.stderr()).toBe('');
  });

  it.each([
    [['--config', 'x.yaml', '--log-level', 'loud'], {}, '--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    [['--config', 'x.yaml'], { OTEL_REPLAYD_LOG_LEVEL: 'loud' }, 'OTEL_REPLAYD_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    [['run'], {}, '--config is required'],
    [['--config', 'x.yaml', '--replica', '1of4'], {}, '--replica must be I/N with 0 <= I < N <= 65536 (replica I of N, from 0), got "1of4"'],
  ])('exits 2 with one line and no stack trace for %j %j', async (args, env, message) => {
    const d = runCli(args, { env });
    expect(await d.exited).toBe(2);
    expect(d.stderr().split('\n')[0]).toBe(`otel-replayd: ${message}`);
    expect(d.stderr()).not.toMatch(/\n\s+at /);
  });

  it('takes -c for --config', async () => {
    const s = await startSink({ http: '127.0.0.1:0' });
    const d = runCli(['-c', writeConfig(tempDir(), oneLoop(`http://${s.httpAddress}`))]);
    expect(await d.exited, d.stderr()).toBe(0);
    expect(Number(summaries(d.lines).get('traces')!.sent_spans)).toBe(s.counts().traces.events);
  });
});

describe('otel-replayd run --config - (stdin)', () => {
  it('reads the config from stdin and resolves its relative paths against the current folder', async () => {
    const s = await startSink({ http: '127.0.0.1:0' });
    const cwd = tempDir();
    copyFileSync(DEMO.traces, join(cwd, 'local-traces.pb'));
    const d = runCli(['--config', '-'], { cwd, stdin: oneLoop(`http://${s.httpAddress}`, { traces: 'local-traces.pb' }) });
    expect(await d.exited, d.stderr()).toBe(0);
    const sent = Number(summaries(d.lines).get('traces')!.sent_spans);
    expect(sent).toBeGreaterThan(0);
    expect(s.counts().traces.events).toBe(sent);
  });

  it('names <stdin> in config problems', async () => {
    const d = runCli(['--config', '-'], { stdin: 'service: { pipelines: {} }\nbogus: 1\n' });
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toContain('invalid config <stdin>:');
    expect(d.stderr()).toContain('bogus: unknown key');
  });

  it('rejects a reload (stdin cannot be read twice) and keeps running', async () => {
    const s = await startSink({ http: '127.0.0.1:0' });
    const cfg = oneLoop(`http://${s.httpAddress}`).replace('loops: 1', 'loops: 0');
    const d = runCli(['--config', '-'], { stdin: cfg });
    await d.waitFor((l) => l.msg === 'pipeline started');
    d.child.kill('SIGHUP');
    await d.waitFor((l) => String(l.msg).startsWith('reload rejected: the config was read from stdin'));
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    expect(s.counts().traces.events).toBe(Number(summaries(d.lines).get('traces')!.sent_spans));
  });
});

describe('otel-replayd run: output', () => {
  it.each([['--log-level', 'warn'], ['--log-level', 'silent']])('prints the summary at %s %s, and no info lines', async (...flags) => {
    const s = await startSink({ http: '127.0.0.1:0' });
    const d = runCli(['--config', writeConfig(tempDir(), oneLoop(`http://${s.httpAddress}`)), ...flags]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines).get('traces');
    expect(sum, JSON.stringify(d.lines)).toBeDefined();
    expect(Number(sum!.sent_spans)).toBe(s.counts().traces.events);
    expect(d.lines.filter((l) => l.msg !== 'summary')).toEqual([]);
  });

  it('takes the level from OTEL_REPLAYD_LOG_LEVEL, and --log-level over it', async () => {
    const s = await startSink({ http: '127.0.0.1:0' });
    const file = writeConfig(tempDir(), oneLoop(`http://${s.httpAddress}`));
    // Two independent runs, side by side.
    const quiet = runCli(['--config', file], { env: { OTEL_REPLAYD_LOG_LEVEL: 'warn' } });
    const loud = runCli(['--config', file, '--log-level', 'info'], { env: { OTEL_REPLAYD_LOG_LEVEL: 'warn' } });
    const [quietCode, loudCode] = await Promise.all([quiet.exited, loud.exited]);
    expect(quietCode, quiet.stderr()).toBe(0);
    expect(quiet.lines.map((l) => l.msg)).toEqual(['summary']);
    expect(loudCode, loud.stderr()).toBe(0);
    expect(loud.lines.some((l) => l.msg === 'otel-replayd starting')).toBe(true);
  });
});

describe('otel-replayd run: exit status for CI', () => {
  /** One pass over the demo traces into a sink that answers every request HTTP 400 (permanent). */
  async function failingRun(service: string, flags: string[] = []) {
    const s = await startSink({ http: '127.0.0.1:0', faults: { failRate: 1, failCode: 'invalid_argument' } });
    const yaml = oneLoop(`http://${s.httpAddress}`).replace('service:\n', `service:\n${service}`);
    const d = runCli(['--config', writeConfig(tempDir(), yaml), ...flags]);
    return { d, code: await d.exited, faulted: s.counts().traces.faultedRequests };
  }

  it('exits 1 when requests failed permanently, naming the exporter, the count and the last code', async () => {
    const { d, code, faulted } = await failingRun('');
    expect(code, d.stderr()).toBe(1);
    expect(faulted).toBeGreaterThan(0);
    const verdict = d.lines.find((l) => / failed permanently /.test(l.msg));
    expect(verdict?.failures).toEqual([expect.objectContaining({ exporter: 'otlp_http', failed_requests: faulted, last_code: 'HTTP_400' })]);
  });

  it('exits 0 with service.allow_export_failures: true, or with --allow-export-failures', async () => {
    // Two independent runs (a sink each), side by side.
    const [viaConfig, viaFlag] = await Promise.all([failingRun('  allow_export_failures: true\n'), failingRun('', ['--allow-export-failures'])]);
    expect(viaConfig.code, viaConfig.d.stderr()).toBe(0);
    expect(viaConfig.faulted).toBeGreaterThan(0);
    expect(viaFlag.code, viaFlag.d.stderr()).toBe(0);
  });
});

describe('otel-replayd run: ports in use', () => {
  it('names service.telemetry.metrics.address in one line and exits 1', async () => {
    await withPortTaken(async (port) => {
      const d = runCli(['--config', writeConfig(tempDir(), oneLoop('http://127.0.0.1:1', { metrics: `127.0.0.1:${port}` }))]);
      expect(await d.exited).toBe(1);
      expect(d.stderr()).toBe(`otel-replayd: service.telemetry.metrics.address 127.0.0.1:${port}: address already in use\n`);
      expect(d.lines.some((l) => l.msg === 'pipeline started')).toBe(false);
    });
  });

  it.each(['grpc', 'http'])('names extensions.sink.%s in one line and exits 1', async (transport) => {
    await withPortTaken(async (port) => {
      const extensions = `extensions:\n  sink: { ${transport}: 127.0.0.1:${port} }`;
      const d = runCli(['--config', writeConfig(tempDir(), oneLoop('http://127.0.0.1:1', { extensions }))]);
      expect(await d.exited).toBe(1);
      expect(d.stderr()).toBe(`otel-replayd: extensions.sink.${transport} 127.0.0.1:${port}: address already in use\n`);
    });
  });
});

describe('otel-replayd run: a stop signal during start-up', () => {
  it('exits 0 with a line saying nothing was sent when SIGTERM comes while the config is still being read', async () => {
    // The config is a FIFO: the daemon is provably inside its start-up (reading the config)
    // from the moment our open for writing returns until we close it.
    const dir = tempDir();
    const fifo = join(dir, 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    const d = runCli(['--config', fifo]);
    const writer = await openOnceRead(fifo, d);
    try {
      d.child.kill('SIGTERM');
      await writer.write(oneLoop('http://127.0.0.1:1'));
    } catch {
      // EPIPE: the daemon is gone already; the exit code below says how.
    } finally {
      await writer.close().catch(() => undefined);
    }
    expect(await d.exited, d.stderr()).toBe(0);
    const stopped = d.lines.find((l) => l.msg === 'stopped before any pipeline started: nothing was sent');
    expect(stopped, JSON.stringify(d.lines)).toMatchObject({ reason: 'SIGTERM received', pipelines: ['traces'] });
    expect(d.lines.some((l) => l.msg === 'pipeline started')).toBe(false);
  });
});
