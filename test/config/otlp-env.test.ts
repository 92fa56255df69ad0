/** OTEL_EXPORTER_OTLP_* under exporter blocks that name no endpoint: precedence, formats, secrecy. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, parseConfig, resolvePipelines } from '../../src/config/load.js';
import type { ReplaydConfig } from '../../src/config/types.js';
import { parseKeyValueList } from '../../src/config/env.js';
import { MAX_DURATION_MS } from '../../src/config/schema.js';
import { preflight } from '../../src/service/preflight.js';
import { SECRET, baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

type Env = Record<string, string>;

/** One exporter `id` with `block`, used by a traces pipeline, and by a logs one when `logs`. */
function config(id: string, block: unknown, opts: { logs?: boolean } = {}): Record<string, any> {
  const cfg = baseConfig();
  cfg.exporters = { [id]: block };
  cfg.service.pipelines['traces/replay'].exporters = [id];
  if (opts.logs) cfg.service.pipelines['logs/replay'] = { receivers: ['template/checkout'], exporters: [id] };
  return cfg;
}

function parse(cfg: object, env: Env): ReplaydConfig {
  return parseConfig(JSON.stringify(cfg), join(dir, 'c.yaml'), env);
}

/** The exporter each pipeline gets, by pipeline id. */
function resolved(cfg: ReplaydConfig): Record<string, ReplaydConfig['exporters'][string]> {
  return Object.fromEntries(resolvePipelines(cfg).map((r) => [r.pipeline.id, r.exporters[0]!]));
}

describe('parseKeyValueList (the OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES format)', () => {
  it('splits key=value pairs, trims and percent-decodes them, skips empty entries, and a later key wins', () => {
    expect(parseKeyValueList(' a = 1 ,b=x%2Cy%3Dz,,c=%20sp%20, a=2 ,')).toEqual({ pairs: [['b', 'x,y=z'], ['c', ' sp '], ['a', '2']] });
    expect(parseKeyValueList('api-key=Bearer%20abc=def')).toEqual({ pairs: [['api-key', 'Bearer abc=def']] });
    expect(parseKeyValueList('')).toEqual({ pairs: [] });
  });

  it('names the entry that is wrong, never its content', () => {
    expect(parseKeyValueList(`a=1,${SECRET}`)).toEqual({ problem: 'entry 2 has no "=" (expected key=value)' });
    expect(parseKeyValueList(`=${SECRET}`)).toEqual({ problem: 'entry 1 has an empty key' });
    expect(parseKeyValueList(`k=${SECRET}%zz`)).toEqual({ problem: 'entry 1 is not valid percent-encoding (write "%" itself as %25)' });
    expect(parseKeyValueList(`k=${SECRET};prop=1`)).toEqual({ problem: 'entry 1 has ";" properties, which are not supported (write a ";" in a value as %3B)' });
  });
});

describe('an exporter block without endpoint takes OTEL_EXPORTER_OTLP_*', () => {
  it('gRPC: the endpoint comes from OTEL_EXPORTER_OTLP_ENDPOINT; its http:// scheme means plaintext, https:// TLS', () => {
    const plain = parse(config('otlp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }).exporters.otlp!;
    expect(plain).toMatchObject({ endpoint: 'collector:4317', tls: { insecure: true }, fromEnv: ['OTEL_EXPORTER_OTLP_ENDPOINT'] });
    const tls = parse(config('otlp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317' }).exporters.otlp!;
    expect(tls).toMatchObject({ endpoint: 'collector:4317', tls: { insecure: false } });
  });

  it('gRPC: without a scheme, OTEL_EXPORTER_OTLP_INSECURE decides (only a case-insensitive "true" is true)', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' };
    expect(parse(config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_INSECURE: 'TRUE' }).exporters.otlp!.tls.insecure).toBe(true);
    expect(parse(config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_INSECURE: 'false' }).exporters.otlp!.tls.insecure).toBe(false);
    expect(parse(config('otlp', {}), env).exporters.otlp!.tls.insecure).toBe(false);
    expectProblem(problemsOf(dir, config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_INSECURE: 'yes' }), 'exporters.otlp.tls.insecure',
      'OTEL_EXPORTER_OTLP_INSECURE must be true or false (value not shown)');
  });

  it('the block\'s own keys win over the variables, and a per-signal variable over the generic one', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4317', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4317',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1500', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none',
    };
    const cfg = parse(config('otlp', { timeout: '3s' }, { logs: true }), env);
    const byPipeline = resolved(cfg);
    expect(byPipeline['traces/replay']).toMatchObject({ endpoint: 'traces:4317', timeoutMs: 3000, compression: 'none' });
    expect(byPipeline['logs/replay']).toMatchObject({ endpoint: 'generic:4317', timeoutMs: 3000, compression: 'gzip' });
    expect(byPipeline['traces/replay']!.signals).toBeUndefined();
  });

  it('a block that names an endpoint takes no variable at all: credentials meant for one endpoint never reach another', () => {
    const cfg = parse(config('otlp', { endpoint: 'mine:4317' }), {
      OTEL_EXPORTER_OTLP_HEADERS: `api-key=${SECRET}`, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_INSECURE: 'true',
    });
    expect(cfg.exporters.otlp).toMatchObject({ endpoint: 'mine:4317', headers: {}, compression: 'none', tls: { insecure: false } });
    expect(cfg.exporters.otlp!.fromEnv).toBeUndefined();
  });

  it('HTTP: the generic endpoint is a base for /v1/<signal>; a per-signal one is used as it is', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs.example/ingest' };
    const byPipeline = resolved(parse(config('otlphttp', {}, { logs: true }), env));
    expect(byPipeline['traces/replay']).toMatchObject({ endpoint: 'http://collector:4318/base', signalEndpoints: {} });
    expect(byPipeline['logs/replay']).toMatchObject({ endpoint: '', signalEndpoints: { logs: 'https://logs.example/ingest' } });
  });

  it('HTTP: OTEL_EXPORTER_OTLP_PROTOCOL picks the encoding unless the block does; the exporter type decides the transport', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    expect(parse(config('otlphttp', {}), env).exporters.otlphttp!.encoding).toBe('json');
    expect(parse(config('otlphttp', { encoding: 'proto' }), env).exporters.otlphttp!.encoding).toBe('proto');
    expect(parse(config('otlphttp', {}), { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).exporters.otlphttp!.encoding).toBe('proto');
    expectProblem(problemsOf(dir, config('otlphttp', {}), { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }), 'exporters.otlphttp',
      'OTEL_EXPORTER_OTLP_PROTOCOL must be grpc, http/protobuf, http/json (value not shown)');
  });

  it('HTTP: a signal without any endpoint is reported at the pipeline, naming the variables that could give one', () => {
    expectProblem(problemsOf(dir, config('otlphttp', {}, { logs: true }), { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/v1/traces' }),
      'service.pipelines.logs/replay.exporters[0]',
      'exporter "otlphttp" has no endpoint for logs (set endpoint or logs_endpoint, or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)');
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT is whole milliseconds; 0 means no limit', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' };
    expect(parse(config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_TIMEOUT: '250' }).exporters.otlp!.timeoutMs).toBe(250);
    expect(parse(config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_TIMEOUT: '0' }).exporters.otlp!.timeoutMs).toBe(MAX_DURATION_MS);
    for (const bad of ['10s', '-5', '1.5']) {
      expectProblem(problemsOf(dir, config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_TIMEOUT: bad }), 'exporters.otlp.timeout',
        /^OTEL_EXPORTER_OTLP_TIMEOUT must be a whole number of milliseconds/);
    }
  });

  it('an empty variable counts as unset', () => {
    const cfg = parse(config('otlp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_EXPORTER_OTLP_COMPRESSION: '' });
    expect(cfg.exporters.otlp).toMatchObject({ endpoint: 'c:4317', compression: 'none' });
  });

  it('certificate variables name files relative to the current folder; the block\'s own TLS keys win', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317', OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 't.pb'),
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: join(dir, 'm.pb'), OTEL_EXPORTER_OTLP_CLIENT_KEY: 'l.json',
    };
    const tls = (block: object) => parseConfig(JSON.stringify(config('otlp', block)), join(dir, 'c.yaml'), env).exporters.otlp!.tls;
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(tls({})).toMatchObject({ caFile: join(dir, 't.pb'), certFile: join(dir, 'm.pb'), keyFile: join(dir, 'l.json') });
      expect(tls({ tls: { ca_pem: 'PEM', cert_pem: 'PEM', key_pem: 'PEM' } })).toEqual({ insecure: false, insecureSkipVerify: false, caPem: 'PEM', certPem: 'PEM', keyPem: 'PEM' });
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('OTEL_EXPORTER_OTLP_HEADERS', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' };

  it('merges by name: the block\'s headers > the per-signal variable > the generic one', () => {
    const cfg = parse(config('otlp', { headers: { 'X-Team': 'file' } }), {
      ...env,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${SECRET},x-team=generic,x-org=generic`,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-org=traces',
    });
    expect(cfg.exporters.otlp!.headers).toEqual({ authorization: `Bearer ${SECRET}`, 'x-org': 'traces', 'x-team': 'file' });
    expect(cfg.exporters.otlp!.fromEnv).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']);
  });

  it('a malformed list or header is a problem naming the variable; no value is ever printed', () => {
    const problems = problemsOf(dir, config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_HEADERS: `api-key=${SECRET},${SECRET}` });
    expectProblem(problems, 'exporters.otlp.headers', 'OTEL_EXPORTER_OTLP_HEADERS: entry 2 has no "=" (expected key=value)');
    const bad = problemsOf(dir, config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_HEADERS: `x-key=${SECRET}%0Ainjected` });
    expectProblem(bad, 'exporters.otlp.headers.x-key', /must be printable ASCII.*value not shown \(from OTEL_EXPORTER_OTLP_HEADERS\)$/);
    expect(JSON.stringify([problems, bad])).not.toContain(SECRET.slice(3));
  });

  it('validate shows the header names and which variables were used, never a value', () => {
    const text = describeConfig(parse(config('otlp', {}), { ...env, OTEL_EXPORTER_OTLP_HEADERS: `api-key=${SECRET}` }));
    expect(text).toContain('from the environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS');
    expect(text).toContain('api-key: <redacted>');
    expect(text).not.toContain(SECRET);
  });
});

describe('values from OTEL_EXPORTER_OTLP_* are secrets in problems', () => {
  it('an endpoint that does not parse is reported without its value', () => {
    const value = `http://${SECRET}:99999`;
    const problems = problemsOf(dir, config('otlp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: value });
    expectProblem(problems, 'exporters.otlp.endpoint', /^has an invalid port 99999 \(must be 1-65535\) \(from OTEL_EXPORTER_OTLP_ENDPOINT\)$/);
    const http = problemsOf(dir, config('otlphttp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: `${SECRET}.example:4318` });
    expectProblem(http, 'exporters.otlphttp.endpoint', 'needs http:// or https:// (e.g. "…"), got "…" (from OTEL_EXPORTER_OTLP_ENDPOINT)');
    expect(JSON.stringify([problems, http])).not.toContain(SECRET);
  });

  it('a missing certificate file is named by its variable', () => {
    const problems = problemsOf(dir, config('otlp', {}), { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317', OTEL_EXPORTER_OTLP_CERTIFICATE: `/nope/${SECRET}.pem` });
    expectProblem(problems, 'exporters.otlp.tls.ca_file', /^file .* does not exist \(from OTEL_EXPORTER_OTLP_CERTIFICATE\)$/);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });
});

describe('an exporter that differs per signal', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4317', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs:4317' };

  it('validate describes the config of each signal that differs', () => {
    const text = describeConfig(parse(config('otlp', {}, { logs: true }), env));
    // Values from the environment are shown by name, never printed (an endpoint can hold a key).
    expect(text).toContain('otlp: grpc ${env:OTEL_EXPORTER_OTLP_ENDPOINT} (plaintext)');
    expect(text).toContain('for logs: grpc ${env:OTEL_EXPORTER_OTLP_LOGS_ENDPOINT} (TLS)');
    expect(text).not.toContain('generic:4317');
  });

  it('the checks before start read every signal\'s TLS files, and report a problem once', () => {
    const cfg = parse(config('otlp', {}, { logs: true }), { ...env, OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: join(dir, 't.pb') });
    const { problems } = preflight(cfg);
    expect(problems).toEqual([{ path: 'exporters.otlp.tls.ca_file', message: expect.stringMatching(/holds no PEM certificate/) }]);
  });
});
