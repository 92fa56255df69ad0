import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/host-port.js';
import { builtModule } from '../../src/package-root.js';
import { encode, grpcClient, grpcExport, logsRequest, tracesRequest } from '../sink/fixtures.js';

// The sink CLI is not an entry point by itself (src/cli/main.ts is); import its built main() in a child.
const cli = builtModule('cli/sink.js');
const children: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first with npx tsc -p tsconfig.json`);
  dir = mkdtempSync(join(tmpdir(), 'replayd-sink-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGKILL'))));
});

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first stdout JSON line matching `pred`. */
  waitFor(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function run(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['-e', `import(${JSON.stringify(cli)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`, '--', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_REPLAYD_LOG_LEVEL: 'info', ...env },
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters.filter((w) => w.pred(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  const waitFor = (pred: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = lines.find(pred);
      if (found) return resolve(found);
      waiters.push({ pred, resolve });
      exit.then(({ code, stderr }) => reject(new Error(`sink exited ${code} before the expected line: ${stderr}`)));
    });
  return { child, lines, waitFor, exit };
}

describe('otel-replayd sink (child process)', () => {
  it('prints bound addresses, logs stats per interval, writes the report on SIGTERM and exits 0', async () => {
    const report = join(dir, 'report.json');
    const sink = run(['--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--verify', '--report', report, '--interval', '100ms']);
    const listening = await sink.waitFor((l) => l.msg === 'sink listening');
    expect(listening.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(listening.http).toMatch(/^127\.0\.0\.1:\d+$/);

    const client = grpcClient(listening.grpc as string);
    expect(await grpcExport(client, 'traces', encode('traces', tracesRequest(3, 4)))).toBeUndefined();
    client.close();
    const res = await request(`http://${listening.http}/v1/logs`, { method: 'POST', body: encode('logs', logsRequest(7)), headers: { 'content-type': 'application/x-protobuf' } });
    await res.body.dump();
    expect(res.statusCode).toBe(200);

    const stats = await sink.waitFor((l) => l.msg === 'sink stats' && (l.total as { events: number }).events === 19);
    expect(stats.traces).toMatchObject({ requests: 1, events: 12 });
    sink.child.kill('SIGTERM');
    expect((await sink.exit).code).toBe(0);
    const written = JSON.parse(readFileSync(report, 'utf8'));
    expect(written.signals.traces).toMatchObject({ requests: 1, events: 12, faulted_requests: 0 });
    expect(written.signals.logs).toMatchObject({ requests: 1, events: 7 });
    expect(written.total.events).toBe(19);
    expect(written.duration_seconds).toBeGreaterThan(0);
    expect(written.verification).toMatchObject({ ok: true, checked: { traces: 12, logs: 7 } });
    // snake_case keys everywhere, as in the daemon's own output.
    expect(readFileSync(report, 'utf8')).not.toMatch(/"[a-z]+[A-Z]\w*":/);
    for (const line of sink.lines.filter((l) => l.msg === 'sink stats' || l.msg === 'sink summary')) expect(JSON.stringify(line)).not.toMatch(/"[a-z]+[A-Z]\w*":/);
  });

  it('--verify-sample checks a fraction of traces and its report says how much it left out', async () => {
    const report = join(dir, 'sampled.json');
    const sink = run(['--http', '127.0.0.1:0', '--verify', '--verify-sample', '0.5', '--report', report]);
    const { http } = await sink.waitFor((l) => l.msg === 'sink listening');
    const res = await request(`http://${http}/v1/traces`, { method: 'POST', body: encode('traces', tracesRequest(40, 3)), headers: { 'content-type': 'application/x-protobuf' } });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    sink.child.kill('SIGTERM');
    expect((await sink.exit).code).toBe(0);
    const v = JSON.parse(readFileSync(report, 'utf8')).verification;
    expect(v.policy.sample).toBe(0.5);
    // Random trace ids: of 40 traces of 3 spans, both halves are all but certain to be non-empty; whole traces either way.
    expect(v.checked.traces + v.unsampled.traces).toBe(120);
    expect(v.checked.traces % 3).toBe(0);
    expect(v.checked.traces).toBeGreaterThan(0);
    expect(v.unsampled.traces).toBeGreaterThan(0);
    expect(v.ok).toBe(true);
  });

  it('injects faults from flags', async () => {
    const sink = run(['--http', '127.0.0.1:0', '--fail-rate', '1', '--fail-code', '503', '--retry-after', '2s', '--seed', '1']);
    const { http } = await sink.waitFor((l) => l.msg === 'sink listening');
    const res = await request(`http://${http}/v1/logs`, { method: 'POST', body: encode('logs', logsRequest(1)), headers: { 'content-type': 'application/x-protobuf' } });
    await res.body.dump();
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    sink.child.kill('SIGINT');
    expect((await sink.exit).code).toBe(0);
  });

  it('exits 1 naming --grpc when its port is in use', async () => {
    const blocker = createServer();
    const port = await listen(blocker, '127.0.0.1', 0, { code: 'ERR_TEST_LISTEN', setting: 'blocker' });
    try {
      const sink = run(['--grpc', `127.0.0.1:${port}`]);
      expect((await sink.exit).code).toBe(1);
      expect(sink.lines.find((l) => l.msg === 'sink failed to start')).toMatchObject({ err: `--grpc 127.0.0.1:${port}: address already in use`, code: 'ERR_SINK_LISTEN' });
    } finally {
      blocker.close();
    }
  });

  it('exits 2 naming OTEL_REPLAYD_LOG_LEVEL when it is not a level', async () => {
    const { code, stderr } = await run(['--http', '127.0.0.1:0'], { OTEL_REPLAYD_LOG_LEVEL: 'loud' }).exit;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^otel-replayd sink: OTEL_REPLAYD_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"\n/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [[], /give --grpc HOST:PORT, --http HOST:PORT, or both/],
    [['--http', '127.0.0.1:0', '--fail-rate', '2'], /--fail-rate must be a number between 0 and 1, got "2"/],
    [['--http', '127.0.0.1:0', '--fail-code', 'teapot'], /--fail-code must be one of/],
    [['--http', '127.0.0.1:0', '--delay', 'soon'], /--delay must be a duration/],
    [['--http', '127.0.0.1:0', '--max-rate', '0'], /--max-rate must be a positive number of events per second, got "0"/],
    [['--http', '127.0.0.1:0', '--verify', '--verify-sample', '0'], /--verify-sample must be a fraction in \(0, 1\], got "0"/],
    [['--http', '127.0.0.1:0', '--verify-sample', '0.5'], /--verify-sample needs --verify/],
    [['--http', '127.0.0.1:0', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'], /--tls-cert: file not found/],
    [['--http', 'nowhere'], /expected host:port, got "nowhere"/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await run(args).exit;
    expect(code).toBe(2);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).toMatch(message);
  });
});
