import { afterEach, describe, expect, it } from 'vitest';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Client, credentials } from '@grpc/grpc-js';
import { FramedMessages } from '../../src/exporters/grpc-framing.js';
import { allocWithPrefixRoom, withPrefixRoom } from '../../src/otlp/wire/prefix-room.js';
import { GzippedBody } from '../../src/exporters/gzip-body.js';
import { OtlpGrpcExporter, grpcTarget } from '../../src/exporters/otlp-grpc.js';
import { SIGNALS } from '../../src/otlp/signals.js';
import { ConfigError } from '../../src/errors.js';
import { FakeGrpcEndpoint, memoryLogger, testExporterConfig, traceRequest } from './fake-endpoint.js';
import { freePort } from '../helpers/net.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(overrides: Parameters<typeof testExporterConfig>[0] extends infer T ? Partial<T> : never = {}) {
  const ep = await FakeGrpcEndpoint.start();
  cleanups.push(() => ep.close());
  const { log, lines } = memoryLogger();
  const exp = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: ep.target, ...overrides }), log);
  cleanups.push(() => exp.close());
  return { ep, exp, lines };
}


/** `bytes` in a buffer with prefix room, as compiled frames and send buffers are. */
function withRoom(bytes: Uint8Array): Buffer {
  const b = allocWithPrefixRoom(bytes.length);
  b.set(bytes);
  return b;
}

/** An exporter to a loopback port nobody listens on (connections refused), with the given retry policy. */
async function refusedExporter(retryOnFailure: ReturnType<typeof testExporterConfig>['retryOnFailure']) {
  const port = await freePort();
  const { log, lines } = memoryLogger();
  const exp = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: `127.0.0.1:${port}`, retryOnFailure }), log);
  cleanups.push(() => exp.close());
  return { exp, lines };
}

describe('OtlpGrpcExporter', () => {
  it('sends the request bytes unchanged to each signal path, with headers as metadata', async () => {
    const { ep, exp, lines } = await setup({ headers: { 'X-Api-Key': 'sekret-value-123' } });
    const body = traceRequest(5);
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const out = await exp.export(signal, body);
      expect(out).toMatchObject({ status: 'sent', rejected: 0, retries: 0 });
    }
    expect(ep.received.map((r) => r.path)).toEqual([SIGNALS.traces.grpcPath, SIGNALS.metrics.grpcPath, SIGNALS.logs.grpcPath]);
    for (const r of ep.received) {
      expect(r.body.equals(body)).toBe(true);
      expect(r.headers['x-api-key']).toBe('sekret-value-123');
    }
    expect(lines.join('\n')).not.toContain('sekret-value-123');
  });

  it('accepts a Uint8Array view into a larger buffer and sends only the view', async () => {
    const { ep, exp } = await setup();
    const body = traceRequest(2);
    const big = new Uint8Array(body.length + 20);
    big.set(body, 10);
    await exp.export('traces', big.subarray(10, 10 + body.length));
    expect(ep.received[0]!.body.equals(body)).toBe(true);
  });

  it('sends messages larger than the 4 MiB gRPC default', async () => {
    const { ep, exp } = await setup();
    const body = Buffer.alloc(6 * 1024 * 1024, 7);
    const out = await exp.export('logs', body);
    expect(out.status).toBe('sent');
    expect(ep.received[0]!.body.equals(body)).toBe(true);
  });

  it('compresses with gzip when configured: the wire carries a gzip frame of the same bytes, whose size the outcome reports', async () => {
    // A raw HTTP/2 server, because grpc-js servers hide the message encoding from handlers.
    const frames: Buffer[] = [];
    const h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        frames.push(Buffer.concat(chunks));
        encodings.push(String(headers['grpc-encoding']));
        headerNames.push(...Object.keys(headers));
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(5));
      });
    });
    const encodings: string[] = [];
    const headerNames: string[] = [];
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => h2.close(() => r())));
    const { log } = memoryLogger();
    const port = (h2.address() as AddressInfo).port;
    const exp = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: `127.0.0.1:${port}`, compression: 'gzip' }), log);
    cleanups.push(() => exp.close());
    const body = traceRequest(50);
    const out = await exp.export('traces', body);
    expect(out.status).toBe('sent');
    expect(encodings).toEqual(['gzip']);
    const frame = frames[0]!;
    expect(frame[0]).toBe(1); // compressed flag
    expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
    expect(gunzipSync(frame.subarray(5)).equals(body)).toBe(true);
    // sent_bytes counts what went on the wire, not the body before compression.
    expect(out.wireBytes).toBe(frame.length - 5);
    expect(out.wireBytes).toBeLessThan(body.length / 2);
    expect(headerNames.filter((h) => h.startsWith('otel-replayd'))).toEqual([]);
    // A body the pipeline gzipped (stamped gzip) goes in the frame as it is, in its prefix room if it has one.
    const member = gzipSync(body, { level: 9 });
    expect(await exp.export('traces', new GzippedBody(member))).toMatchObject({ status: 'sent', wireBytes: member.length });
    expect(await exp.export('traces', new GzippedBody(withRoom(member)))).toMatchObject({ status: 'sent', wireBytes: member.length });
    expect(encodings).toEqual(['gzip', 'gzip', 'gzip']);
    for (const f of frames.slice(1)) {
      expect(f[0]).toBe(1);
      expect(f.subarray(5).equals(member)).toBe(true);
    }
  });

  it('frames messages itself: grpc-js still has the compression filter it replaces', () => {
    const client = new Client('127.0.0.1:1', credentials.createInsecure());
    try {
      expect(FramedMessages.install([client])).toBe(true);
    } finally {
      client.close();
    }
  });

  it.each([
    ['none', false],
    ['gzip', false],
    ['none', true],
  ] as const)('sends each body intact while framed buffers are reused, in turn and concurrently (compression %s, bodies with prefix room: %s)', async (compression, room) => {
    const { ep, exp } = await setup({ maxInFlight: 3, compression });
    const plain = [traceRequest(40), traceRequest(3), traceRequest(80), traceRequest(7), traceRequest(40), traceRequest(1)];
    const bodies = room ? plain.map((b) => withRoom(b)) : plain;
    for (const b of bodies) expect(await exp.export('traces', b)).toMatchObject({ status: 'sent' });
    await Promise.all(bodies.map((b) => exp.export('traces', b)));
    expect(ep.received.slice(0, bodies.length).map((r) => r.body.toString('hex'))).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')));
    expect(ep.received.slice(bodies.length).map((r) => r.body.toString('hex')).sort()).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')).sort());
  });

  it('frames a body with prefix room where it lies: the prefix goes in the room, the endpoint gets the body intact', async () => {
    const { ep, exp } = await setup();
    const body = withRoom(traceRequest(30));
    const copy = Buffer.from(body);
    expect(await exp.export('traces', body)).toMatchObject({ status: 'sent', wireBytes: body.length });
    const room = withPrefixRoom(body)!;
    expect(room[0]).toBe(0);
    expect(room.readUInt32BE(1)).toBe(body.length);
    expect(body.equals(copy)).toBe(true);
    expect(ep.received[0]!.body.equals(copy)).toBe(true);
  });

  it('reports the body size as wire bytes without compression', async () => {
    const { exp } = await setup();
    const body = traceRequest(50);
    expect(await exp.export('traces', body)).toMatchObject({ status: 'sent', wireBytes: body.length });
  });

  it('counts an OK whose response message cannot be decoded as sent and unparsed, with a warning', async () => {
    const { ep, exp, lines } = await setup();
    ep.script({ responseBytes: Buffer.from('<html>not grpc</html>') }, { responseBytes: Buffer.from([0x0a, 0x05, 0x08]) });
    const a = await exp.export('traces', traceRequest());
    const b = await exp.export('traces', traceRequest());
    expect(a).toMatchObject({ status: 'sent', rejected: 0 });
    expect(a.unparsed).toMatch(/malformed protobuf response/);
    expect(b.unparsed).toMatch(/malformed protobuf response/);
    expect((await exp.export('traces', traceRequest())).unparsed).toBeUndefined();
    // Throttled: one line for the two, saying the request still counts as sent.
    const warns = lines.filter((l) => l.includes('could not be decoded'));
    expect(warns).toHaveLength(1);
    expect(JSON.parse(warns[0]!)).toMatchObject({ level: 40, signal: 'traces' });
  });

  it('counts partial_success rejections with the message and logs them', async () => {
    const { ep, exp, lines } = await setup();
    ep.script({ rejected: 7, message: 'spans too old' });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', rejected: 7, retries: 0, message: 'spans too old' });
    expect(lines.some((l) => l.includes('partial success') && l.includes('spans too old'))).toBe(true);
  });

  it.each([
    ['CANCELLED', 1],
    ['DEADLINE_EXCEEDED', 4],
    ['ABORTED', 10],
    ['OUT_OF_RANGE', 11],
    ['UNAVAILABLE', 14],
    ['DATA_LOSS', 15],
  ])('retries %s', async (_name, code) => {
    const { ep, exp } = await setup();
    ep.script({ grpcCode: code }, { grpcCode: code });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', retries: 2 });
    expect(ep.received).toHaveLength(3);
  });

  it.each([
    ['UNKNOWN', 2],
    ['INVALID_ARGUMENT', 3],
    ['NOT_FOUND', 5],
    ['ALREADY_EXISTS', 6],
    ['PERMISSION_DENIED', 7],
    ['RESOURCE_EXHAUSTED', 8],
    ['FAILED_PRECONDITION', 9],
    ['UNIMPLEMENTED', 12],
    ['INTERNAL', 13],
    ['UNAUTHENTICATED', 16],
  ])('does not retry %s', async (name, code) => {
    const { ep, exp } = await setup();
    ep.script({ grpcCode: code, message: `nope ${name}` });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', retries: 0, code: name });
    expect(out.message).toContain(`nope ${name}`);
    expect(ep.received).toHaveLength(1);
  });

  it('retries RESOURCE_EXHAUSTED carrying RetryInfo after the server-given delay', async () => {
    const { ep, exp } = await setup();
    ep.script({ grpcCode: 8, retryDelayMs: 150, message: 'slow down' });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', retries: 1 });
    expect(ep.received).toHaveLength(2);
    expect(ep.received[1]!.at - ep.received[0]!.at).toBeGreaterThanOrEqual(145);
  });

  it('honours RetryInfo on UNAVAILABLE too', async () => {
    const { ep, exp } = await setup();
    ep.script({ grpcCode: 14, retryDelayMs: 120 });
    await exp.export('traces', traceRequest());
    expect(ep.received[1]!.at - ep.received[0]!.at).toBeGreaterThanOrEqual(115);
  });

  it('gives up after max_elapsed_time with the last error', async () => {
    const { ep, exp } = await setup({
      retryOnFailure: { enabled: true, initialIntervalMs: 20, maxIntervalMs: 40, maxElapsedTimeMs: 200, multiplier: 2, randomizationFactor: 0 },
    });
    ep.script(...Array.from({ length: 50 }, () => ({ grpcCode: 14, message: 'down for maintenance' })));
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest());
    const took = performance.now() - t0;
    expect(out.status).toBe('failed');
    expect(out.code).toBe('UNAVAILABLE');
    expect(out.message).toContain('down for maintenance');
    expect(out.message).toContain('max_elapsed_time');
    expect(out.retries).toBeGreaterThanOrEqual(1);
    expect(out.retries).toBe(ep.received.length - 1);
    expect(took).toBeLessThan(1500);
  });

  it('makes one attempt when retry is disabled', async () => {
    const { ep, exp } = await setup({
      retryOnFailure: { enabled: false, initialIntervalMs: 20, maxIntervalMs: 40, maxElapsedTimeMs: 200, multiplier: 2, randomizationFactor: 0 },
    });
    ep.script({ grpcCode: 14 });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'UNAVAILABLE', retries: 0 });
    expect(ep.received).toHaveLength(1);
  });

  it('times out each attempt after timeout and retries it as DEADLINE_EXCEEDED', async () => {
    const { ep, exp } = await setup({ timeoutMs: 100 });
    ep.script({ delayMs: 1500 });
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', retries: 1 });
    expect(performance.now() - t0).toBeLessThan(1200);
    expect(ep.received).toHaveLength(2);
  });

  it('abort cancels the in-flight attempt and stops retrying', async () => {
    const { ep, exp } = await setup();
    ep.script({ delayMs: 2000 });
    const ac = new AbortController();
    ep.abortAfterFirstRequest(ac);
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest(), ac.signal);
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_ABORTED' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(ep.received).toHaveLength(1);
  });

  it('abort during backoff stops retrying', async () => {
    const { ep, exp } = await setup();
    ep.script({ grpcCode: 14, retryDelayMs: 2000 });
    const ac = new AbortController();
    ep.abortAfterFirstRequest(ac, 100);
    const out = await exp.export('traces', traceRequest(), ac.signal);
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_ABORTED', retries: 0 });
    expect(ep.received).toHaveLength(1);
  });

  it('keeps retrying while the endpoint is down and delivers once it is up', async () => {
    const port = await freePort();
    const { log } = memoryLogger();
    const exp = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: `http://127.0.0.1:${port}` }), log);
    cleanups.push(() => exp.close());
    const body = traceRequest();
    const pending = exp.export('traces', body);
    await new Promise((r) => setTimeout(r, 300));
    const ep = await FakeGrpcEndpoint.start({ port });
    cleanups.push(() => ep.close());
    const out = await pending;
    expect(out.status).toBe('sent');
    expect(out.retries).toBeGreaterThan(0);
    expect(ep.received).toHaveLength(1);
    expect(ep.received[0]!.body.equals(body)).toBe(true);
  });

  it('endpoint down: fails with UNAVAILABLE after max_elapsed_time', async () => {
    const { exp } = await refusedExporter({ enabled: true, initialIntervalMs: 20, maxIntervalMs: 40, maxElapsedTimeMs: 150, multiplier: 2, randomizationFactor: 0 });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'UNAVAILABLE' });
  });

  it('endpoint refusing connections: gives up at max_elapsed_time, not a backoff step early or late', async () => {
    // Delays 300, 600, 1200 ms: the third would end at ~2100 ms, past the 1000 ms deadline.
    const { exp } = await refusedExporter({ enabled: true, initialIntervalMs: 300, maxIntervalMs: 5000, maxElapsedTimeMs: 1000, multiplier: 2, randomizationFactor: 0 });
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest());
    const took = performance.now() - t0;
    expect(out).toMatchObject({ status: 'failed', code: 'UNAVAILABLE', retries: 2 });
    expect(out.message).toContain('max_elapsed_time 1000ms');
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(1300);
  });

  it('logs the first failed attempt at once and counts retries as they start, while the request is still retrying', async () => {
    const { exp, lines } = await refusedExporter({ enabled: true, initialIntervalMs: 50, maxIntervalMs: 50, maxElapsedTimeMs: 0, multiplier: 1, randomizationFactor: 0 });
    let retries = 0;
    const ac = new AbortController();
    const pending = exp.export('traces', traceRequest(), ac.signal, () => retries++);
    const settled = { done: false };
    void pending.then(() => (settled.done = true));
    while (retries < 3) await new Promise((r) => setTimeout(r, 20));
    expect(settled.done).toBe(false);
    const attempts = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'export attempt failed; retrying');
    // The first failure at once; the next ones of the same kind are throttled.
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ level: 40, code: 'UNAVAILABLE', attempt: 1, retry_in_ms: 50 });
    ac.abort();
    const out = await pending;
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_ABORTED' });
    expect(out.retries).toBe(retries);
    expect(out.message).toMatch(/^export aborted after \d+ attempts; last error UNAVAILABLE: /);
  });

  it('strips a scheme from the endpoint and rejects paths', () => {
    expect(grpcTarget('http://localhost:4317', 'x')).toBe('localhost:4317');
    expect(grpcTarget('https://[::1]:4317/', 'x')).toBe('[::1]:4317');
    expect(grpcTarget('127.0.0.1:4317', 'x')).toBe('127.0.0.1:4317');
    expect(() => grpcTarget('http://h:1/v1/traces', 'otlp_grpc/a')).toThrow(ConfigError);
    expect(() => grpcTarget('http://h:1/v1/traces', 'otlp_grpc/a')).toThrow(/exporters\.otlp_grpc\/a\.endpoint/);
  });
});
