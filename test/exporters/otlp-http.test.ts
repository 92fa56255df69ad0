import { afterEach, describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GzippedBody } from '../../src/exporters/gzip-body.js';
import { OtlpHttpExporter, parseRetryAfter } from '../../src/exporters/otlp-http.js';
import { ConfigError } from '../../src/errors.js';
import type { ExporterConfig } from '../../src/exporters/exporter-config.js';
import { FakeHttpEndpoint, memoryLogger, testExporterConfig, traceRequest } from './fake-endpoint.js';
import { freePort } from '../helpers/net.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(overrides: Partial<ExporterConfig> = {}) {
  const ep = await FakeHttpEndpoint.start();
  cleanups.push(() => ep.close());
  const { log, lines } = memoryLogger();
  const exp = new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: ep.url, ...overrides }), log);
  cleanups.push(() => exp.close());
  return { ep, exp, lines };
}


const fastGiveUp = { enabled: true, initialIntervalMs: 20, maxIntervalMs: 40, maxElapsedTimeMs: 200, multiplier: 2, randomizationFactor: 0 };

describe('OtlpHttpExporter', () => {
  it('POSTs proto bytes unchanged to /v1/<signal> with content type and headers', async () => {
    const { ep, exp, lines } = await setup({ headers: { Authorization: 'Bearer sekret-token-42' } });
    const body = traceRequest(4);
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      expect(await exp.export(signal, body)).toMatchObject({ status: 'sent', rejected: 0, retries: 0 });
    }
    expect(ep.received.map((r) => r.path)).toEqual(['/v1/traces', '/v1/metrics', '/v1/logs']);
    for (const r of ep.received) {
      expect(r.body.equals(body)).toBe(true);
      expect(r.headers['content-type']).toBe('application/x-protobuf');
      expect(r.headers['authorization']).toBe('Bearer sekret-token-42');
      expect(r.headers['content-encoding']).toBeUndefined();
    }
    expect(lines.join('\n')).not.toContain('sekret-token-42');
  });

  it('sends JSON bodies with application/json and keeps an endpoint path prefix', async () => {
    const ep = await FakeHttpEndpoint.start();
    cleanups.push(() => ep.close());
    const { log } = memoryLogger();
    const exp = new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: `${ep.url}/otlp/`, encoding: 'json' }), log);
    cleanups.push(() => exp.close());
    const body = Buffer.from(JSON.stringify({ resourceLogs: [] }));
    expect((await exp.export('logs', body)).status).toBe('sent');
    expect(ep.received[0]!.path).toBe('/otlp/v1/logs');
    expect(ep.received[0]!.headers['content-type']).toBe('application/json');
    expect(ep.received[0]!.body.equals(body)).toBe(true);
    expect(exp.encoding).toBe('json');
  });

  it('uses per-signal endpoint overrides, including another origin', async () => {
    const other = await FakeHttpEndpoint.start();
    cleanups.push(() => other.close());
    const { ep, exp } = await setup({ signalEndpoints: { metrics: `${other.url}/custom/metrics?tenant=a` } });
    await exp.export('traces', traceRequest());
    await exp.export('metrics', traceRequest());
    expect(ep.received.map((r) => r.path)).toEqual(['/v1/traces']);
    expect(other.received.map((r) => r.path)).toEqual(['/custom/metrics?tenant=a']);
  });

  it('gzips the body with Content-Encoding: gzip; it decompresses to the same bytes', async () => {
    const { ep, exp } = await setup({ compression: 'gzip' });
    const body = traceRequest(200);
    expect((await exp.export('traces', body)).status).toBe('sent');
    const r = ep.received[0]!;
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.rawBody.length).toBeLessThan(body.length);
    expect(gunzipSync(r.rawBody).equals(body)).toBe(true);
  });

  it('sends a body gzipped by the pipeline as it is, once, at the level it came with; an exporter without compression refuses one', async () => {
    const { ep, exp } = await setup({ compression: 'gzip', compressionLevel: 1 });
    const body = traceRequest(200);
    const member = gzipSync(body, { level: 9 });
    expect(await exp.export('traces', new GzippedBody(member))).toMatchObject({ status: 'sent', wireBytes: member.length });
    expect(ep.received[0]!.rawBody.equals(member)).toBe(true);
    expect(ep.received[0]!.headers['content-encoding']).toBe('gzip');
    const plain = await setup();
    expect(await plain.exp.export('traces', new GzippedBody(member))).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_INTERNAL' });
    expect(plain.ep.received).toHaveLength(0);
  });

  it('reports the gzipped body size as wire bytes, and the body size without compression', async () => {
    const gz = await setup({ compression: 'gzip' });
    const body = traceRequest(200);
    const out = await gz.exp.export('traces', body);
    expect(out.wireBytes).toBe(gz.ep.received[0]!.rawBody.length);
    expect(out.wireBytes).toBeLessThan(body.length / 2);
    const plain = await setup();
    expect(await plain.exp.export('traces', body)).toMatchObject({ status: 'sent', wireBytes: body.length });
  });

  it('counts a 200 whose body is not an OTLP response as sent and unparsed, with one warning per interval', async () => {
    const { ep, exp, lines } = await setup();
    ep.script(
      { body: '<html>please sign in</html>', contentType: 'text/html' },
      { body: '\x0a\x05\x08', contentType: 'application/x-protobuf' },
    );
    const html = await exp.export('traces', traceRequest());
    const proto = await exp.export('traces', traceRequest());
    expect(html).toMatchObject({ status: 'sent', rejected: 0, retries: 0 });
    expect(html.unparsed).toContain('text/html');
    expect(proto.unparsed).toMatch(/malformed protobuf response/);
    expect((await exp.export('traces', traceRequest())).unparsed).toBeUndefined();
    const warns = lines.filter((l) => l.includes('could not be decoded'));
    expect(warns).toHaveLength(1);
    expect(JSON.parse(warns[0]!)).toMatchObject({ level: 40, signal: 'traces', url: `${ep.url}/v1/traces` });
  });

  it('counts a 200 whose JSON body is not JSON as sent and unparsed', async () => {
    const { ep, exp } = await setup({ encoding: 'json' });
    ep.script({ body: 'OK', contentType: 'application/json' });
    const out = await exp.export('logs', Buffer.from('{}'));
    expect(out).toMatchObject({ status: 'sent', unparsed: 'not a JSON response: OK' });
  });

  it('counts partial_success from a proto response', async () => {
    const { ep, exp, lines } = await setup();
    ep.script({ rejected: 3, message: 'bad attribute' });
    expect(await exp.export('metrics', traceRequest())).toMatchObject({ status: 'sent', rejected: 3, message: 'bad attribute' });
    expect(lines.some((l) => l.includes('partial success'))).toBe(true);
  });

  it('counts partial_success from a JSON response, as number and as string', async () => {
    const { ep, exp } = await setup({ encoding: 'json' });
    ep.script({ rejected: 5, message: 'too old' }, { rejected: 9, rejectedAsString: true });
    expect(await exp.export('logs', Buffer.from('{}'))).toMatchObject({ status: 'sent', rejected: 5, message: 'too old' });
    expect(await exp.export('traces', Buffer.from('{}'))).toMatchObject({ status: 'sent', rejected: 9 });
  });

  it.each([429, 502, 503, 504])('retries HTTP %i', async (status) => {
    const { ep, exp } = await setup();
    ep.script({ httpStatus: status }, { httpStatus: status });
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'sent', retries: 2 });
    expect(ep.received).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 413, 500])('does not retry HTTP %i and reports the body', async (status) => {
    const { ep, exp } = await setup();
    ep.script({ httpStatus: status, body: `refused with ${status}` });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', retries: 0, code: `HTTP_${status}` });
    expect(out.message).toContain(`refused with ${status}`);
    expect(ep.received).toHaveLength(1);
  });

  it('reads the message of a google.rpc.Status error body (JSON)', async () => {
    const { ep, exp } = await setup();
    ep.script({ httpStatus: 400, contentType: 'application/json', body: JSON.stringify({ code: 3, message: 'field x invalid' }) });
    expect((await exp.export('traces', traceRequest())).message).toBe('HTTP 400: field x invalid');
  });

  it('honours Retry-After in seconds', async () => {
    const { ep, exp } = await setup();
    ep.script({ httpStatus: 429, retryAfter: '1' });
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'sent', retries: 1 });
    expect(ep.received[1]!.at - ep.received[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('honours Retry-After as an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('honours Retry-After dates from a real 503', async () => {
    const { ep, exp } = await setup();
    // HTTP dates have 1 s resolution: 2 s ahead means at least ~1 s of wait.
    ep.script({ httpStatus: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() });
    await exp.export('traces', traceRequest());
    expect(ep.received[1]!.at - ep.received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('gives up when Retry-After would pass max_elapsed_time', async () => {
    const { ep, exp } = await setup({ retryOnFailure: fastGiveUp });
    ep.script({ httpStatus: 503, retryAfter: '30', body: 'overloaded' });
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'HTTP_503', retries: 0 });
    expect(out.message).toContain('overloaded');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('gives up after max_elapsed_time on repeated 503', async () => {
    const { ep, exp } = await setup({ retryOnFailure: fastGiveUp });
    ep.script(...Array.from({ length: 50 }, () => ({ httpStatus: 503 })));
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'HTTP_503' });
    expect(out.retries).toBeGreaterThanOrEqual(1);
    expect(out.retries).toBe(ep.received.length - 1);
  });

  it('retries a dropped connection', async () => {
    const { ep, exp } = await setup();
    ep.script({ drop: true });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', retries: 1 });
    expect(ep.received).toHaveLength(2);
  });

  it('times out an attempt after timeout and retries it', async () => {
    const { ep, exp } = await setup({ timeoutMs: 100 });
    ep.script({ delayMs: 1500 });
    const t0 = performance.now();
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'sent', retries: 1 });
    expect(performance.now() - t0).toBeLessThan(1200);
  });

  it('reports ERR_EXPORT_TIMEOUT when every attempt times out', async () => {
    const { ep, exp } = await setup({ timeoutMs: 60, retryOnFailure: fastGiveUp });
    ep.script(...Array.from({ length: 10 }, () => ({ delayMs: 300 })));
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_TIMEOUT' });
  });

  it('abort cancels the in-flight request and stops retrying', async () => {
    const { ep, exp } = await setup();
    ep.script({ delayMs: 2000 });
    const ac = new AbortController();
    ep.abortAfterFirstRequest(ac);
    const t0 = performance.now();
    expect(await exp.export('traces', traceRequest(), ac.signal)).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_ABORTED' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(ep.received).toHaveLength(1);
  });

  it('abort during a Retry-After wait stops retrying', async () => {
    const { ep, exp } = await setup();
    ep.script({ httpStatus: 429, retryAfter: '2' });
    const ac = new AbortController();
    ep.abortAfterFirstRequest(ac, 100);
    expect(await exp.export('traces', traceRequest(), ac.signal)).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_ABORTED', retries: 0 });
    expect(ep.received).toHaveLength(1);
  });

  it('keeps retrying while the endpoint is down and delivers once it is up', async () => {
    const port = await freePort();
    const { log } = memoryLogger();
    const exp = new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: `http://127.0.0.1:${port}` }), log);
    cleanups.push(() => exp.close());
    const body = traceRequest();
    const pending = exp.export('traces', body);
    await new Promise((r) => setTimeout(r, 200));
    const ep = await FakeHttpEndpoint.start({ port });
    cleanups.push(() => ep.close());
    const out = await pending;
    expect(out.status).toBe('sent');
    expect(out.retries).toBeGreaterThan(0);
    expect(ep.received).toHaveLength(1);
    expect(ep.received[0]!.body.equals(body)).toBe(true);
  });

  it('endpoint down: fails with ERR_EXPORT_CONNECTION naming ECONNREFUSED', async () => {
    const port = await freePort();
    const { log, lines } = memoryLogger();
    const exp = new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: `http://127.0.0.1:${port}`, retryOnFailure: fastGiveUp }), log);
    cleanups.push(() => exp.close());
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_CONNECTION' });
    expect(out.message).toContain('ECONNREFUSED');
    expect(lines.filter((l) => l.includes('export failed'))).toHaveLength(1);
  });

  it('endpoint refusing connections: logs the first failed attempt at once and counts retries as they start', async () => {
    const port = await freePort();
    const { log, lines } = memoryLogger();
    const retry = { enabled: true, initialIntervalMs: 50, maxIntervalMs: 50, maxElapsedTimeMs: 0, multiplier: 1, randomizationFactor: 0 };
    const exp = new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: `http://127.0.0.1:${port}`, retryOnFailure: retry }), log);
    cleanups.push(() => exp.close());
    let retries = 0;
    const ac = new AbortController();
    const pending = exp.export('traces', traceRequest(), ac.signal, () => retries++);
    while (retries < 3) await new Promise((r) => setTimeout(r, 20));
    const attempts = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'export attempt failed; retrying');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ level: 40, code: 'ERR_EXPORT_CONNECTION', attempt: 1, url: `http://127.0.0.1:${port}/v1/traces` });
    expect(String(attempts[0]!.reason)).toContain('ECONNREFUSED');
    ac.abort();
    const out = await pending;
    expect(out.retries).toBe(retries);
    expect(out.message).toContain('ECONNREFUSED');
  });

  it('rejects malformed endpoints with a ConfigError naming the key', () => {
    const { log } = memoryLogger();
    expect(() => new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: '127.0.0.1:4318' }), log)).toThrow(ConfigError);
    expect(() => new OtlpHttpExporter(testExporterConfig({ type: 'otlp_http', endpoint: 'http://127.0.0.1:4318', signalEndpoints: { logs: 'nope' } }), log)).toThrow(
      /exporters\.otlp_http\/test\.logs_endpoint/,
    );
  });
});
