/** Exporter blocks pasted from Collector configs: the options we take, and hints for the ones we do not. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, parseConfig } from '../../src/config/load.js';
import { EXPORTER_HINTS, TLS_HINTS } from '../../src/exporters/collector-keys.js';
import { SECRET, baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

function withExporter(id: string, block: unknown): Record<string, any> {
  const cfg = baseConfig();
  cfg.exporters = { [id]: block };
  cfg.service.pipelines['traces/replay'].exporters = [id];
  return cfg;
}

const exporterOf = (id: string, block: unknown) => parseConfig(JSON.stringify(withExporter(id, block)), join(dir, 'c.yaml'), {}).exporters[id]!;

describe('gRPC endpoints in gRPC name syntax', () => {
  it('takes dns:///host:port (and dns:host:port) and keeps it for grpc-js to resolve', () => {
    expect(exporterOf('otlp', { endpoint: 'dns:///collector.ns.svc:4317', tls: { insecure: true } }).endpoint).toBe('dns:///collector.ns.svc:4317');
    expect(exporterOf('otlp', { endpoint: 'dns:collector:4317', tls: { insecure: true } }).endpoint).toBe('dns:///collector:4317');
  });

  it('reports a DNS authority, a bad host:port after dns:///, and other schemes', () => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'dns://8.8.8.8/collector:4317' })), 'exporters.otlp.endpoint',
      'a DNS authority is not supported: write dns:///host:port, got "dns://8.8.8.8/collector:4317"');
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'dns:///collector' })), 'exporters.otlp.endpoint', /^must be host:port/);
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'unix:///tmp/s' })), 'exporters.otlp.endpoint', /^must be host:port/);
  });
});

describe('tls: inline PEM and min_version', () => {
  it('takes ca_pem, cert_pem and key_pem as text; a file and inline PEM of the same thing are a problem', () => {
    expect(exporterOf('otlp', { endpoint: 'h:1', tls: { ca_pem: 'CA', cert_pem: 'C', key_pem: 'K' } }).tls).toEqual({
      insecure: false, insecureSkipVerify: false, caPem: 'CA', certPem: 'C', keyPem: 'K',
    });
    const problems = problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', tls: { ca_file: 't.pb', ca_pem: 'CA', cert_pem: 'C' } }));
    expectProblem(problems, 'exporters.otlp.tls.ca_pem', 'give ca_file or ca_pem, not both');
    expectProblem(problems, 'exporters.otlp.tls.key_file', 'is required with cert_file/cert_pem (mutual TLS needs a certificate and its key)');
  });

  it('a key_pem never appears in validate\'s output', () => {
    const text = describeConfig(parseConfig(JSON.stringify(withExporter('otlp', { endpoint: 'h:1', tls: { cert_pem: 'C', key_pem: SECRET } })), join(dir, 'c.yaml'), {}));
    expect(text).not.toContain(SECRET);
  });

  it('min_version is "1.2" or "1.3", as a string or as YAML reads 1.2', () => {
    expect(exporterOf('otlp', { endpoint: 'h:1', tls: { min_version: '1.3' } }).tls.minVersion).toBe('TLSv1.3');
    expect(parseConfig('receivers: { template: { traces: t.pb } }\nexporters: { otlp: { endpoint: "h:1", tls: { min_version: 1.2 } } }\n'
      + 'service: { pipelines: { traces: { receivers: [template], exporters: [otlp] } } }', join(dir, 'c.yaml'), {}).exporters.otlp!.tls.minVersion).toBe('TLSv1.2');
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', tls: { min_version: '1.0' } })), 'exporters.otlp.tls.min_version',
      'TLS 1.0 is not supported (Node refuses versions below 1.2); use "1.2" or "1.3"');
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', tls: { min_version: 'TLS13' } })), 'exporters.otlp.tls.min_version',
      'must be "1.2" or "1.3", got "TLS13"');
  });
});

describe('balancer_name and keepalive (gRPC)', () => {
  it('reads them with their defaults', () => {
    expect(exporterOf('otlp', { endpoint: 'h:1' })).toMatchObject({ balancerName: 'pick_first', keepalive: { timeMs: 30_000, timeoutMs: 10_000, permitWithoutStream: false } });
    expect(exporterOf('otlp', { endpoint: 'h:1', balancer_name: 'round_robin', keepalive: { time: '5s', timeout: '2s', permit_without_stream: true } }))
      .toMatchObject({ balancerName: 'round_robin', keepalive: { timeMs: 5000, timeoutMs: 2000, permitWithoutStream: true } });
  });

  it('checks them, and names them gRPC settings in an HTTP block', () => {
    const problems = problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', balancer_name: 'least_request', keepalive: { time: '0s', interval: '1s' } }));
    expectProblem(problems, 'exporters.otlp.balancer_name', 'must be one of pick_first, round_robin, got "least_request"');
    expectProblem(problems, 'exporters.otlp.keepalive.time', 'must be greater than 0');
    expectProblem(problems, 'exporters.otlp.keepalive.interval', /^unknown key "interval"/);
    const http = problemsOf(dir, withExporter('otlphttp', { endpoint: 'http://h:1', balancer_name: 'round_robin', keepalive: { time: '5s' } }));
    expectProblem(http, 'exporters.otlphttp.balancer_name', 'unknown key "balancer_name": a gRPC setting: use an otlp_grpc exporter');
    expectProblem(http, 'exporters.otlphttp.keepalive', 'unknown key "keepalive": a gRPC setting: use an otlp_grpc exporter');
    expect(http).toHaveLength(2);
  });
});

describe('connections (gRPC)', () => {
  it('defaults to one connection and reads a count up to max_in_flight', () => {
    expect(exporterOf('otlp', { endpoint: 'h:1' })).toMatchObject({ connections: 1 });
    expect(exporterOf('otlp', { endpoint: 'h:1', connections: 4, max_in_flight: 8 })).toMatchObject({ connections: 4, maxInFlight: 8 });
  });

  it('checks it, names it a gRPC setting in an HTTP block, and refuses more connections than requests in flight', () => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', connections: 0 })), 'exporters.otlp.connections', 'must be a positive integer of at most 64, got 0');
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', connections: 5 })), 'exporters.otlp.connections',
      'is 5 but max_in_flight is 4: connections beyond max_in_flight would never carry a request');
    expectProblem(problemsOf(dir, withExporter('otlphttp', { endpoint: 'http://h:1', connections: 2 })), 'exporters.otlphttp.connections',
      /^unknown key "connections": a gRPC setting: use an otlp_grpc exporter; connections are a keep-alive HTTP\/1.1 pool/);
  });
});

describe('sending_queue', () => {
  it('is accepted; num_consumers becomes max_in_flight when max_in_flight is not given', () => {
    const block = { endpoint: 'h:1', sending_queue: { enabled: true, num_consumers: 10, queue_size: 5000, sizer: 'requests', block_on_overflow: true } };
    expect(exporterOf('otlp', block).maxInFlight).toBe(10);
    expect(exporterOf('otlp', { endpoint: 'h:1', sending_queue: { queue_size: 5000 } }).maxInFlight).toBe(4);
    expect(exporterOf('otlp', { ...block, max_in_flight: 10 }).maxInFlight).toBe(10);
  });

  it('reports a num_consumers that disagrees with max_in_flight, and the queue keys that cannot be honoured', () => {
    const problems = problemsOf(dir, withExporter('otlp', {
      endpoint: 'h:1', max_in_flight: 8, sending_queue: { num_consumers: 10, storage: 'file_storage', batch: { min_size: 1 } },
    }));
    expectProblem(problems, 'exporters.otlp.sending_queue.num_consumers', 'is the same setting as max_in_flight here (requests in flight per worker); give one of them');
    expectProblem(problems, 'exporters.otlp.sending_queue.storage', /^unknown key "storage": no persistent queue: /);
    expectProblem(problems, 'exporters.otlp.sending_queue.batch', 'unknown key "batch": use the batch_splitter processor (max_items, max_bytes) to size requests');
  });
});

describe('Collector keys we do not have', () => {
  it.each(Object.entries(EXPORTER_HINTS.otlp_grpc))('otlp_grpc: %s gets its hint', (key, hint) => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', [key]: 'x' })), `exporters.otlp.${key}`, `unknown key "${key}": ${hint}`);
  });

  it.each(Object.entries(EXPORTER_HINTS.otlp_http))('otlp_http: %s gets its hint', (key, hint) => {
    expectProblem(problemsOf(dir, withExporter('otlphttp', { endpoint: 'http://h:1', [key]: 'x' })), `exporters.otlphttp.${key}`, `unknown key "${key}": ${hint}`);
  });

  it.each(Object.entries(TLS_HINTS))('tls: %s gets its hint', (key, hint) => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', tls: { [key]: 'x' } })), `exporters.otlp.tls.${key}`, `unknown key "${key}": ${hint}`);
  });

  it('a key nobody knows still gets a spelling guess', () => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', compresion: 'gzip' })), 'exporters.otlp.compresion', 'unknown key "compresion" (did you mean "compression"?)');
  });

  it('auth points at headers, the way to send a credential here', () => {
    expectProblem(problemsOf(dir, withExporter('otlp', { endpoint: 'h:1', auth: { authenticator: 'bearertokenauth' } })), 'exporters.otlp.auth',
      /^unknown key "auth": authenticator extensions are not supported: put the credential in headers/);
  });
});
