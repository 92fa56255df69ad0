import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { describeExporter } from '../../src/exporters/exporter-config.js';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

const AT = 'exporters.otlp_grpc/backend';

function withExporter(id: string, exp: unknown): Record<string, any> {
  const cfg = baseConfig();
  cfg.exporters = { [id]: exp };
  cfg.service.pipelines['traces/replay'].exporters = [id];
  return cfg;
}

describe('exporter endpoints', () => {
  it('gRPC: host:port is required (here or from OTEL_EXPORTER_OTLP_*) and checked', () => {
    expectProblem(problemsOf(dir, withExporter('otlp_grpc/backend', { tls: { insecure: true } })), `${AT}.endpoint`,
      'is required: set it here, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT');
    for (const [endpoint, message] of [
      ['localhost', /^must be host:port/],
      ['localhost:99999', 'has an invalid port 99999 (must be 1-65535)'],
      ['bad host:4317', 'has an invalid host "bad host"'],
      ['[zz]:4317', 'has an invalid host "zz"'],
    ] as const) {
      expectProblem(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint, tls: { insecure: true } })), `${AT}.endpoint`, message);
    }
    expect(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: '[::1]:4317', tls: { insecure: true } }))).toEqual([]);
  });

  it('gRPC: plaintext must be asked for with tls.insecure; a disagreeing scheme is reported', () => {
    expectProblem(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'http://h:4317' })), `${AT}.endpoint`,
      /says http:\/\/ but gRPC uses TLS unless tls.insecure is true/);
    expectProblem(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'https://h:4317', tls: { insecure: true } })), `${AT}.endpoint`,
      'says https:// but tls.insecure is true; drop one of them');
    expect(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'https://h:4317' }))).toEqual([]);
    expect(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'h:4317' }))).toEqual([]);
  });

  it('HTTP: absolute http(s) URLs only, no credentials; signal endpoints checked too', () => {
    const at = 'exporters.otlp_http/b';
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'localhost:4318' })), `${at}.endpoint`,
      'needs http:// or https:// (e.g. "http://localhost:4318"), got "localhost:4318"');
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint: '/v1/traces' })), `${at}.endpoint`, /^must be an absolute http/);
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'ftp://h/' })), `${at}.endpoint`, 'must be an http:// or https:// URL, got a ftp:// URL');
    const creds = problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'http://user:hunter2@h:4318' }));
    expectProblem(creds, `${at}.endpoint`, 'must not contain credentials; put them in headers');
    expect(JSON.stringify(creds)).not.toContain('hunter2');
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'http://h', logs_endpoint: 'nope' })), `${at}.logs_endpoint`, /^must be an absolute/);
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', {})), 'service.pipelines.traces/replay.exporters[0]',
      'exporter "otlp_http/b" has no endpoint for traces (set endpoint or traces_endpoint, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)');
  });

  it('HTTP: a host:port without a scheme, here or in a signal endpoint, is told it needs http:// or https://', () => {
    const at = 'exporters.otlp_http/b';
    for (const [key, value] of [['endpoint', '127.0.0.1:4318'], ['endpoint', '[::1]:4318/base'], ['traces_endpoint', 'collector:4318/v1/traces']]) {
      expectProblem(problemsOf(dir, withExporter('otlp_http/b', { [key]: value })), `${at}.${key}`, `needs http:// or https:// (e.g. "http://${value}"), got "${value}"`);
    }
  });

  it('HTTP: an endpoint that already ends in /v1/<signal> is reported with the fix (it would send to /v1/traces/v1/traces)', () => {
    const at = 'exporters.otlp_http/b';
    for (const endpoint of ['http://host:4318/v1/traces', 'https://host/otlp/v1/traces/']) {
      expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint })), `${at}.endpoint`,
        'ends in /v1/traces, and /v1/<signal> is appended to endpoint, so requests would go to /v1/traces/v1/traces: drop /v1/traces from endpoint, or give the full URL as traces_endpoint instead');
    }
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'http://host:4318/v1/logs' })), `${at}.endpoint`, /^ends in \/v1\/logs,.* as logs_endpoint instead$/);
    // A base path is fine, and so is the full URL where it belongs.
    expect(problemsOf(dir, withExporter('otlp_http/b', { endpoint: 'https://host/otlp' }))).toEqual([]);
    expect(problemsOf(dir, withExporter('otlp_http/b', { traces_endpoint: 'http://host:4318/v1/traces' }))).toEqual([]);
  });

  it('HTTP: a signal endpoint may replace endpoint, but only for that signal', () => {
    expect(problemsOf(dir, withExporter('otlp_http/b', { traces_endpoint: 'http://h/t' }))).toEqual([]);
    expectProblem(problemsOf(dir, withExporter('otlp_http/b', { logs_endpoint: 'http://h/l' })), 'service.pipelines.traces/replay.exporters[0]',
      'exporter "otlp_http/b" has no endpoint for traces (set endpoint or traces_endpoint)');
  });

  it('tls.insecure false with an http:// URL is fine for OTLP/HTTP', () => {
    expect(problemsOf(dir, withExporter('otlphttp/b', { endpoint: 'http://h:4318', tls: { insecure: false } }))).toEqual([]);
  });

  it('gRPC has no encoding or signal endpoints: the keys are named as OTLP/HTTP settings', () => {
    const problems = problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'h:1', encoding: 'json', traces_endpoint: 'http://h' }));
    expectProblem(problems, `${AT}.encoding`, 'unknown key "encoding": an OTLP/HTTP setting: use an otlp_http exporter with encoding: json (gRPC is always protobuf)');
    expectProblem(problems, `${AT}.traces_endpoint`, 'unknown key "traces_endpoint": an OTLP/HTTP setting: use an otlp_http exporter');
  });
});

describe('exporter settings', () => {
  it('encoding, compression, timeout, max_in_flight and retry are checked', () => {
    const problems = problemsOf(dir, withExporter('otlp_http/b', {
      endpoint: 'http://h', encoding: 'jsn', compression: 'zstd', timeout: '0s', max_in_flight: 0,
      retry_on_failure: { initial_interval: '10s', max_interval: '1s', multiplier: 0.5, randomization_factor: 2, enabled: 'yes' },
    }));
    const at = 'exporters.otlp_http/b';
    expectProblem(problems, `${at}.encoding`, 'must be one of proto, json, got "jsn" (did you mean "json"?)');
    expectProblem(problems, `${at}.compression`, 'must be one of none, gzip, got "zstd"');
    expectProblem(problems, `${at}.timeout`, 'must be greater than 0');
    expectProblem(problems, `${at}.max_in_flight`, 'must be a positive integer of at most 10000, got 0');
    expectProblem(problems, `${at}.retry_on_failure.max_interval`, 'must not be less than initial_interval');
    expectProblem(problems, `${at}.retry_on_failure.multiplier`, 'must be a number >= 1 of at most 100, got 0.5');
    expectProblem(problems, `${at}.retry_on_failure.randomization_factor`, /^must be a non-negative number of at most 1, got 2/);
    expectProblem(problems, `${at}.retry_on_failure.enabled`, 'must be true or false, got "yes"');
  });

  it('compression_params (the Collector\'s shape): level 1..9, default 1, and stamped, default true, on both exporters', () => {
    for (const type of ['otlp_grpc', 'otlp_http'] as const) {
      const endpoint = type === 'otlp_grpc' ? 'h:4317' : 'http://h';
      const parse = (params?: object) => {
        const cfg = withExporter(`${type}/z`, { endpoint, tls: { insecure: true }, compression: 'gzip', compression_params: params });
        return parseConfig(stringify(cfg), join(dir, 'replayd.yaml'), {}).exporters[`${type}/z`]!;
      };
      expect(parse()).toMatchObject({ compression: 'gzip', compressionLevel: 1, compressionStamped: true });
      expect(parse({ level: 9, stamped: false })).toMatchObject({ compressionLevel: 9, compressionStamped: false });
      expect(describeExporter(parse({ level: 4 }))).toContain('compression gzip level 4 (stamped)');
      const problems = problemsOf(dir, withExporter(`${type}/z`, { endpoint, tls: { insecure: true }, compression_params: { level: 0, stamped: 'yes', window: 15 } }));
      expectProblem(problems, `exporters.${type}/z.compression_params.level`, 'must be an integer >= 1 of at most 9, got 0');
      expectProblem(problems, `exporters.${type}/z.compression_params.stamped`, 'must be true or false, got "yes"');
      expectProblem(problems, `exporters.${type}/z.compression_params.window`, /^unknown key "window"/);
    }
  });

  it('tls files must exist and cert/key come in pairs', () => {
    const problems = problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'h:1', tls: { ca_file: 'ca.pem', cert_file: 't.pb' } }));
    expectProblem(problems, `${AT}.tls.ca_file`, `file ${join(dir, 'ca.pem')} does not exist`);
    expectProblem(problems, `${AT}.tls.key_file`, 'is required with cert_file/cert_pem (mutual TLS needs a certificate and its key)');
    expect(problems).toHaveLength(2);
  });
});

describe('headers', () => {
  it('values must be strings; messages name the header, never the value', () => {
    const problems = problemsOf(dir, withExporter('otlp_grpc/backend', {
      endpoint: 'h:1', tls: { insecure: true },
      headers: {
        'x-api-key': 98765432123, 'x-list': ['a'], 'bad name': 'v', 'X-Dup': 'a', 'x-dup': 'b', 'x-crlf': 'a\r\nInjected: 1',
        'x-ctl': 'Secret\u0001', 'x-del': 'Secret\u007f', 'x-utf8': 'Secrét', 'x-ok': 'Bearer a.b-c_d~e+f/g= h\t',
      },
    }));
    expectProblem(problems, `${AT}.headers.x-api-key`, 'value of header "x-api-key" must be a string (quote it)');
    expectProblem(problems, `${AT}.headers.x-list`, 'value of header "x-list" must be a string (quote it)');
    expectProblem(problems, `${AT}.headers.bad name`, '"bad name" is not a valid header name');
    expectProblem(problems, `${AT}.headers.x-dup`, 'header "x-dup" is given twice (names are case-insensitive)');
    // What the exporter accepts at run time: printable ASCII, space and tab.
    for (const h of ['x-crlf', 'x-ctl', 'x-del', 'x-utf8']) {
      expectProblem(problems, `${AT}.headers.${h}`, `value of header "${h}" must be printable ASCII: it holds a control character (or a line break, or non-ASCII text); value not shown`);
    }
    expect(problems.map((p) => p.path)).not.toContain(`${AT}.headers.x-ok`);
    const text = JSON.stringify(problems);
    expect(text).not.toContain('Secret');
    expect(text).not.toContain('98765432123');
    expect(text).not.toContain('Injected');
  });

  it('headers must be a mapping', () => {
    expectProblem(problemsOf(dir, withExporter('otlp_grpc/backend', { endpoint: 'h:1', headers: ['a: b'] })), `${AT}.headers`,
      'must be a mapping of header name to string value');
  });
});
