import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../src/exporters/index.js';
import { OtlpGrpcExporter } from '../../src/exporters/otlp-grpc.js';
import { OtlpHttpExporter } from '../../src/exporters/otlp-http.js';
import { normalizeHeaders } from '../../src/exporters/headers.js';
import type { Exporter } from '../../src/exporters/exporter.js';
import { ConfigError } from '../../src/errors.js';
import { memoryLogger, testExporterConfig } from './fake-endpoint.js';

const made: Exporter[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((e) => e.close()));
});

describe('createExporter', () => {
  it('builds the exporter for the configured type with its id, encoding and max_in_flight', () => {
    const { log } = memoryLogger();
    const g = createExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: '127.0.0.1:4317', maxInFlight: 3, encoding: 'json' }), log);
    const h = createExporter(testExporterConfig({ type: 'otlp_http', endpoint: 'http://127.0.0.1:4318', maxInFlight: 5, encoding: 'json' }), log);
    made.push(g, h);
    expect(g).toBeInstanceOf(OtlpGrpcExporter);
    expect(g).toMatchObject({ id: 'otlp_grpc/test', encoding: 'proto', maxInFlight: 3 });
    expect(h).toBeInstanceOf(OtlpHttpExporter);
    expect(h).toMatchObject({ id: 'otlp_http/test', encoding: 'json', maxInFlight: 5 });
  });

  it('rejects max_in_flight < 1 and timeout 0 with the key path', () => {
    const { log } = memoryLogger();
    expect(() => createExporter(testExporterConfig({ type: 'otlp_http', endpoint: 'http://127.0.0.1:1', maxInFlight: 0 }), log)).toThrow(/max_in_flight/);
    expect(() => createExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: '127.0.0.1:1', timeoutMs: 0 }), log)).toThrow(/timeout/);
  });
});

describe('normalizeHeaders', () => {
  it('lower-cases names and keeps values', () => {
    expect(normalizeHeaders({ 'X-API-Key': 'abc', Authorization: 'Bearer t' }, 'e')).toEqual({ 'x-api-key': 'abc', authorization: 'Bearer t' });
  });

  it('names a bad header without ever showing its value', () => {
    let err: unknown;
    try {
      normalizeHeaders({ 'x-api-key': 'top-secret\r\ninjected', 'bad name': 'v' }, 'otlp_http/a');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('exporters.otlp_http/a.headers.x-api-key');
    expect(msg).toContain('exporters.otlp_http/a.headers.bad name: not a valid header name');
    expect(msg).not.toContain('top-secret');
  });

  it('a gRPC exporter with a bad header value fails at construction without the value', () => {
    const { log, lines } = memoryLogger();
    const cfg = testExporterConfig({ type: 'otlp_grpc', endpoint: '127.0.0.1:1', headers: { 'x-key': 'sek\u00e9ret' } });
    expect(() => createExporter(cfg, log)).toThrow(ConfigError);
    expect(() => createExporter(cfg, log)).not.toThrow(/sek/);
    expect(lines.join('')).not.toContain('sek');
  });
});
