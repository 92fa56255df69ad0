/** `otel-replayd send`: a run from flags alone, as a real child process against real endpoints. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { requestType } from '../../src/otlp/proto.js';
import { CLI, DEMO, cliKilledAfterEach, summaries, tempDir } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { FakeHttpEndpoint } from '../exporters/fake-endpoint.js';

const startSink = sinksClosedAfterEach();
const cli = cliKilledAfterEach();

/** Every OTEL_EXPORTER_OTLP_* variable blanked (empty = unset): what the machine running the tests has set must not leak in. */
const NO_OTLP_ENV = Object.fromEntries(['', 'TRACES_', 'METRICS_', 'LOGS_'].flatMap((s) =>
  ['ENDPOINT', 'HEADERS', 'PROTOCOL', 'COMPRESSION', 'TIMEOUT', 'INSECURE', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].map((v) => [`OTEL_EXPORTER_OTLP_${s}${v}`, ''])));
const runCli: typeof cli = (args, opts = {}) => cli(args, { ...opts, env: { ...NO_OTLP_ENV, ...opts.env } });
const SECRET = 'sk-live-send-0123456789';

const endpoints: FakeHttpEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

describe('otel-replayd send', () => {
  it('replays a template over gRPC at the rate asked for; the sink counts exactly what the summary reports', async () => {
    const sink = await startSink({ grpc: '127.0.0.1:0' });
    const d = runCli(['send', 'traces', '--template', DEMO.traces, '--rate', '20000', '--duration', '3s', '--workers', '2',
      '--endpoint', sink.grpcAddress!, '--insecure']);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines).get('traces');
    expect(sum, JSON.stringify(d.lines.slice(-5))).toBeDefined();
    const received = sink.counts().traces;
    expect(received.events).toBeGreaterThan(0);
    expect(Number(sum!.sent_spans)).toBe(received.events);
    expect(Number(sum!.sent_requests)).toBe(received.requests);
    expect(sum!.rate_target).toBe(20000);
    // The daemon's own sending window: pacing never overshoots, and 20k spans/s is far below what one core sends.
    expect(Number(sum!.rate)).toBeLessThanOrEqual(20000 * 1.05);
    expect(Number(sum!.rate)).toBeGreaterThan(20000 * 0.8);
    // 512 spans per request, as the SDKs batch.
    expect(received.events / received.requests).toBeLessThanOrEqual(512);
  });

  it('takes endpoint, protocol and headers from OTEL_EXPORTER_OTLP_*, with --header over them, and sets --service and --attribute', async () => {
    const ep = await FakeHttpEndpoint.start();
    endpoints.push(ep);
    const d = runCli(['send', 'logs', '--duration', '2s', '--rate', '2000', '--service', 'load$svc', '--attribute', 'run.id="r-7"',
      '--header', 'x-team=from-flag'], {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${ep.url}/base`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${SECRET},x-team=from-env`,
      },
    });
    expect(await d.exited, d.stderr()).toBe(0);
    expect(ep.received.length).toBeGreaterThan(0);
    const first = ep.received[0]!;
    expect(first.path).toBe('/base/v1/logs');
    expect(first.headers).toMatchObject({ authorization: `Bearer ${SECRET}`, 'x-team': 'from-flag', 'content-type': 'application/x-protobuf' });
    const req = requestType('logs').decode(first.body) as unknown as { resourceLogs: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }[] };
    const attrs = Object.fromEntries(req.resourceLogs[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(attrs).toMatchObject({ 'service.name': 'load$svc', 'run.id': 'r-7' });
    const sum = summaries(d.lines).get('logs');
    expect(Number(sum!.sent_logs)).toBeGreaterThan(0);
    expect(JSON.stringify(d.lines) + d.stderr()).not.toContain(SECRET);
  });

  it('--print-config prints the config the flags make, which the loader reads back; header values are never in it', async () => {
    const d = runCli(['send', 'metrics', '--rate', '100', '--endpoint', 'collector:4318', '--protocol', 'http/json', '--header', `api-key=${SECRET}`, '--print-config']);
    expect(await d.exited, d.stderr()).toBe(0);
    const text = d.lines.map((l) => l.msg).join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('${env:OTEL_REPLAYD_SEND_HEADER_1}');
    const cfg = parseConfig(text, join(tempDir(), 'printed.yaml'), { OTEL_REPLAYD_SEND_HEADER_1: SECRET });
    expect(cfg.exporters.otlp_http).toMatchObject({ endpoint: 'https://collector:4318', encoding: 'json', headers: { 'api-key': SECRET } });
    expect(cfg.processors.ratelimit).toMatchObject({ eventsPerSecond: 100 });
    expect(cfg.service.pipelines.metrics).toMatchObject({ receivers: ['generator'], exporters: ['otlp_http'], workers: 1 });
    expect(cfg.service.telemetry.metricsAddress).toBeUndefined();
  });

  it('defaults to localhost, with TLS unless --insecure, when neither --endpoint nor a variable gives the endpoint', async () => {
    const grpc = runCli(['send', 'traces', '--print-config']);
    const http = runCli(['send', 'logs', '--protocol', 'http/protobuf', '--insecure', '--print-config']);
    expect([await grpc.exited, await http.exited]).toEqual([0, 0]);
    const read = (d: typeof grpc) => parseConfig(d.lines.map((l) => l.msg).join('\n'), join(tempDir(), 'p.yaml'), {});
    expect(read(grpc).exporters.otlp_grpc).toMatchObject({ endpoint: 'localhost:4317', tls: { insecure: false } });
    expect(read(http).exporters.otlp_http).toMatchObject({ endpoint: 'http://localhost:4318', encoding: 'proto' });
  });

  it('rejects SIGHUP (there is no file to read again) and keeps sending', async () => {
    const sink = await startSink({ grpc: '127.0.0.1:0' });
    const d = runCli(['send', 'traces', '--template', DEMO.traces, '--rate', '2000', '--endpoint', sink.grpcAddress!, '--insecure']);
    await d.waitFor((l) => l.msg === 'pipeline started');
    d.child.kill('SIGHUP');
    expect((await d.waitFor((l) => String(l.msg).startsWith('reload rejected'))).msg)
      .toBe('reload rejected: the config was built from the send command\'s flags; keeping the running pipelines');
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    expect(Number(summaries(d.lines).get('traces')!.sent_spans)).toBe(sink.counts().traces.events);
  });

  it.each([
    [[], 'otel-replayd: which signal? send traces, send metrics or send logs'],
    [['spans'], 'otel-replayd: "spans" is not a signal: send traces, send metrics or send logs'],
    [['traces', '--protocol', 'grpcc'], 'otel-replayd: --protocol must be one of grpc, http/protobuf, http/json, got "grpcc"'],
    [['traces', '--template', 'x.pb', '--generate'], 'otel-replayd: give --template FILE or --generate, not both'],
    [['traces', '--header', SECRET], 'otel-replayd: --header takes key=value, got something else (not shown)'],
  ])('rejects bad flags %j with exit 2', async (args, message) => {
    const d = runCli(['send', ...args]);
    expect(await d.exited).toBe(2);
    expect(d.stderr().split('\n')[0]).toBe(message);
  });

  it('reports config problems by the flag that caused them, with exit 2', async () => {
    const d = runCli(['send', 'traces', '--duration', '3x', '--workers', '0', '--template', '/nonexistent.pb', '--print-config']);
    expect(await d.exited).toBe(2);
    const err = d.stderr();
    expect(err).toContain('--duration (service.duration): must be a duration like "250ms", "30s" or "5m", got "3x"');
    expect(err).toContain('--workers (service.pipelines.traces.workers): must be a positive integer of at most 1024, got 0');
    expect(err).toContain('--template (receivers.template.traces): template file /nonexistent.pb does not exist');
  });
});

describe('exit status for CI', () => {
  async function failingSink() {
    return startSink({ grpc: '127.0.0.1:0', faults: { failRate: 1, failCode: 'invalid_argument' } });
  }
  const args = (address: string) => ['send', 'traces', '--template', DEMO.traces, '--rate', '5000', '--duration', '2s', '--endpoint', address, '--insecure'];

  it('a run in which requests failed permanently exits 1, and says which exporter, how many, and the last error', async () => {
    const sink = await failingSink();
    const d = runCli(args(sink.grpcAddress!));
    expect(await d.exited, d.stderr()).toBe(1);
    const verdict = d.lines.find((l) => /requests? failed permanently/.test(l.msg));
    expect(verdict, JSON.stringify(d.lines.slice(-4))).toBeDefined();
    const faulted = sink.counts().traces.faultedRequests;
    expect(faulted).toBeGreaterThan(0);
    expect(verdict!.failed_requests).toBe(faulted);
    expect(verdict!.failures).toEqual([expect.objectContaining({ pipeline: 'traces', exporter: 'otlp_grpc', failed_requests: faulted, last_code: 'INVALID_ARGUMENT' })]);
    expect(verdict!.msg).toMatch(/exit status 1 \(--allow-export-failures or service.allow_export_failures: true makes it 0\)$/);
    const sum = summaries(d.lines).get('traces')!;
    expect(sum.export_failures).toMatchObject({ otlp_grpc: { failed_requests: faulted, last_code: 'INVALID_ARGUMENT' } });
  });

  it('--allow-export-failures (telemetrygen\'s flag) makes the same run exit 0, still saying what failed', async () => {
    const sink = await failingSink();
    const d = runCli([...args(sink.grpcAddress!), '--allow-export-failures']);
    expect(await d.exited, d.stderr()).toBe(0);
    expect(d.lines.find((l) => /failed permanently.*exit status 0 as allowed$/.test(l.msg))).toBeDefined();
  });
});
