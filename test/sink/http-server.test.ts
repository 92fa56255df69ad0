import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';
import { decodeStatus, encode, logsRequest, METRICS_POINTS, metricsRequest, toJson, tracesRequest } from './fixtures.js';

let sink: Sink | undefined;

async function start(opts: Omit<SinkOptions, 'http'> = {}): Promise<Sink> {
  sink = await startSink({ http: '127.0.0.1:0', ...opts });
  return sink;
}

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function post(path: string, body: Buffer | string, headers: Record<string, string> = { 'content-type': 'application/x-protobuf' }) {
  const res = await request(`http://${sink!.httpAddress}${path}`, { method: 'POST', body, headers });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('HTTP sink', () => {
  it('counts protobuf requests exactly for all three signals and answers 200 with an empty protobuf response', async () => {
    await start();
    const traces = encode('traces', tracesRequest(10, 7));
    const metrics = encode('metrics', metricsRequest());
    const logs = encode('logs', logsRequest(21));
    for (const [path, body] of [['/v1/traces', traces], ['/v1/traces', traces], ['/v1/metrics', metrics], ['/v1/logs', logs]] as const) {
      const res = await post(path, body);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-protobuf');
      expect(res.body.length).toBe(0);
    }
    expect(sink!.counts()).toEqual({
      traces: { requests: 2, events: 140, bytes: 2 * traces.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
      metrics: { requests: 1, events: METRICS_POINTS, bytes: metrics.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
      logs: { requests: 1, events: 21, bytes: logs.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
    });
  });

  it('counts large span and log requests exactly, whether it keeps their bodies (--count-by) or not', async () => {
    const traces = encode('traces', tracesRequest(300, 10));
    const logs = encode('logs', logsRequest(2000));
    const cut = traces.subarray(0, traces.length - 7);
    expect(traces.length).toBeGreaterThan(256 * 1024);
    for (const countBy of [undefined, 'service.name']) {
      await start({ countBy });
      expect((await post('/v1/traces', traces)).status).toBe(200);
      expect((await post('/v1/logs', logs)).status).toBe(200);
      expect((await post('/v1/traces', cut)).status).toBe(400);
      const c = sink!.counts();
      expect([c.traces.requests, c.traces.events, c.traces.bytes, c.traces.invalidRequests], `countBy ${countBy}`).toEqual([1, 3000, traces.length, 1]);
      expect([c.logs.requests, c.logs.events, c.logs.bytes]).toEqual([1, 2000, logs.length]);
      await sink!.close();
      sink = undefined;
    }
  });

  it('counts JSON requests and answers in JSON', async () => {
    await start();
    const json = { 'content-type': 'application/json; charset=utf-8' };
    for (const [path, signal, req] of [['/v1/traces', 'traces', tracesRequest(4, 3)], ['/v1/metrics', 'metrics', metricsRequest()], ['/v1/logs', 'logs', logsRequest(6)]] as const) {
      const res = await post(path, toJson(signal, req), json);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.body.toString())).toEqual({});
    }
    const c = sink!.counts();
    expect([c.traces.events, c.metrics.events, c.logs.events]).toEqual([12, METRICS_POINTS, 6]);
  });

  it('gunzips bodies and counts the compressed bytes that arrived', async () => {
    await start();
    const proto = gzipSync(encode('traces', tracesRequest(20, 5)));
    const json = gzipSync(toJson('logs', logsRequest(9)));
    expect((await post('/v1/traces', proto, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post('/v1/logs', json, { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(200);
    const c = sink!.counts();
    expect(c.traces).toMatchObject({ events: 100, bytes: proto.length });
    expect(c.logs).toMatchObject({ events: 9, bytes: json.length });
  });

  it('counts large gzip bodies exactly, request after request, as they are inflated into reused buffers', async () => {
    await start();
    // ~1 MB each: inflated into pooled buffers, which later requests reuse.
    const bodies = [tracesRequest(2000, 5), tracesRequest(1500, 3), tracesRequest(2000, 5)].map((r) => gzipSync(encode('traces', r)));
    for (const b of [...bodies, ...bodies]) expect((await post('/v1/traces', b, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200);
    await Promise.all(bodies.map(async (b) => expect((await post('/v1/traces', b, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200)));
    expect(sink!.counts().traces).toMatchObject({ requests: 9, events: 3 * (10_000 + 4500 + 10_000) });
  });

  it('answers 400 with a Status naming the byte offset for a malformed protobuf body', async () => {
    await start();
    const body = encode('logs', logsRequest(3));
    const res = await post('/v1/logs', body.subarray(0, body.length - 2));
    expect(res.status).toBe(400);
    expect(decodeStatus(res.body).message).toMatch(/malformed protobuf: .* at byte \d+/);
    expect(sink!.counts().logs).toMatchObject({ requests: 0, events: 0, invalidRequests: 1 });
  });

  it('answers 400 in JSON for malformed JSON, bad JSON shapes and bad gzip', async () => {
    await start();
    const json = { 'content-type': 'application/json' };
    const broken = await post('/v1/traces', '{"resourceSpans": [', json);
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body.toString()).message).toMatch(/^malformed OTLP\/JSON: line 1 column \d+: invalid JSON/);
    const shape = await post('/v1/traces', '{"resourceSpans": {}}', json);
    expect(JSON.parse(shape.body.toString()).message).toBe('not an OTLP request: $.resourceSpans: expected an array');
    const gz = await post('/v1/traces', Buffer.from('not gzip'), { ...json, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
    expect(JSON.parse(gz.body.toString()).message).toMatch(/^malformed gzip body/);
    expect(sink!.counts().traces).toMatchObject({ requests: 0, invalidRequests: 3 });
  });

  it('answers 404 for unknown paths, 405 for other methods, 415 for unsupported types and encodings', async () => {
    await start();
    const body = encode('logs', logsRequest(1));
    expect((await post('/v1/profiles', body)).status).toBe(404);
    const get = await request(`http://${sink!.httpAddress}/v1/logs`);
    await get.body.dump();
    expect(get.statusCode).toBe(405);
    expect((await post('/v1/logs', body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/logs', body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' })).status).toBe(415);
    expect(sink!.counts().logs.requests).toBe(0);
  });

  it('answers 413 for a body over 64 MiB', async () => {
    await start();
    const res = await post('/v1/logs', Buffer.alloc(64 * 1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(sink!.counts().logs).toMatchObject({ requests: 0, invalidRequests: 1 });
  });

  it('above --max-rate answers 429 with Retry-After in whole seconds, and counts the request as throttled', async () => {
    await start({ maxRate: 1000 });
    const body = encode('traces', tracesRequest(10, 10));
    expect((await post('/v1/traces', body)).status).toBe(200);
    const res = await post('/v1/traces', body);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(decodeStatus(res.body)).toMatchObject({ code: 8, message: "over the sink's limit of 1000 events/s (--max-rate)" });
    expect(sink!.counts().traces).toMatchObject({ requests: 1, events: 100, throttledRequests: 1 });
  });

  it('injects failures with mapped HTTP codes and Retry-After, counted as faults only', async () => {
    await start({ faults: { failRate: 0.25, failCode: 'resource_exhausted', retryAfterMs: 1200, seed: 3 } });
    const body = encode('traces', tracesRequest(1, 4));
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const res = await post('/v1/traces', body);
      if (res.status === 200) continue;
      failed++;
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('2');
      expect(decodeStatus(res.body).message).toContain('injected failure');
    }
    expect(failed).toBeGreaterThan(25);
    expect(failed).toBeLessThan(75);
    expect(sink!.counts().traces).toEqual({ requests: 200 - failed, events: 4 * (200 - failed), bytes: (200 - failed) * body.length, faultedRequests: failed, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 });
  });

  it('maps gRPC-named fail codes to HTTP statuses', async () => {
    for (const [failCode, expected] of [['unavailable', 503], ['invalid_argument', 400], ['503', 503]] as const) {
      await start({ faults: { failRate: 1, failCode } });
      const res = await post('/v1/logs', encode('logs', logsRequest(1)));
      expect(res.status).toBe(expected);
      expect(res.headers['retry-after']).toBeUndefined();
      await sink!.close();
    }
  });

  it('delays every response', async () => {
    await start({ faults: { delayMs: 150 } });
    const t0 = performance.now();
    expect((await post('/v1/logs', encode('logs', logsRequest(1)))).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('does not count a request whose client disconnected before the delayed answer (counted late)', async () => {
    await start({ faults: { delayMs: 300 } });
    const ac = new AbortController();
    const pending = request(`http://${sink!.httpAddress}/v1/logs`, {
      method: 'POST', body: encode('logs', logsRequest(3)), headers: { 'content-type': 'application/x-protobuf' }, signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 100);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 400));
    expect(sink!.counts().logs).toMatchObject({ requests: 0, events: 0, lateRequests: 1 });
    expect((await post('/v1/logs', encode('logs', logsRequest(3)))).status).toBe(200);
    expect(sink!.counts().logs).toMatchObject({ requests: 1, events: 3, lateRequests: 1 });
  });

  it('verifies JSON requests', async () => {
    await start({ verify: true });
    const req = tracesRequest(2, 2);
    const res = await post('/v1/traces', toJson('traces', req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect((await post('/v1/traces', toJson('traces', req), { 'content-type': 'application/json' })).status).toBe(200);
    expect(await sink!.verification()).toMatchObject({ checked: { traces: 8 }, problems: { duplicate_span_id: 4 }, ok: false });
  });

  it('in verify mode, reports a JSON id of the wrong length as undecodable, naming the key path', async () => {
    await start({ verify: true });
    const body = toJson('traces', tracesRequest(1, 1)).replace(/"traceId":"([0-9a-f]+)"/, '"traceId":"$1ab"');
    const res = await post('/v1/traces', body, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const v = await sink!.verification();
    expect(v).toMatchObject({ problems: { undecodable: 1 }, ok: false });
    expect(v!.examples.undecodable![0]!.message).toContain('resourceSpans[0].scopeSpans[0].spans[0].traceId: id has 17 bytes');
  });
});
