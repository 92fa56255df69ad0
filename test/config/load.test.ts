import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { defaultCacheDir } from '../../src/receivers/template-receiver.js';
import { SECRET, baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

const FULL = `
receivers:
  template/checkout: { traces: t.pb, metrics: m.pb, logs: l.json, loops: 3 }
processors:
  id_regen: {}
  timestamp: { backdate: 1m30s }
  jitter: { max: 100ms }
  batch_splitter: { max_items: 500, max_bytes: 1MiB }
  ratelimit: { events_per_second: 200000, burst: 400000 }
exporters:
  otlp/backend: { endpoint: "http://localhost:4317", tls: { insecure: true }, headers: { X-Api-Key: "\${env:API_KEY}" }, compression: gzip }
  otlphttp/backend: { endpoint: "https://collector.local:4318/base/", encoding: json, traces_endpoint: "http://x/v1/traces", timeout: 2s, max_in_flight: 16 }
extensions:
  sink: { grpc: 127.0.0.1:4317, http: "[::1]:4318", verify: true, report: out.json }
service:
  duration: 5m
  shutdown_timeout: 10s
  telemetry: { stats_interval: 1s, metrics: { address: "" }, logs: { level: debug } }
  pipelines:
    traces/replay:
      receivers: [template/checkout]
      processors: [id_regen, timestamp, jitter, batch_splitter, ratelimit]
      exporters: [otlp/backend, otlphttp/backend]
      workers: 2
    logs: { receivers: [template/checkout], exporters: [otlp/backend] }
`;

describe('parseConfig: a full valid config', () => {
  const cfg = parseConfig(FULL, join(dir, 'replayd.yaml'), { API_KEY: SECRET });

  it('normalizes receivers and processors (ms, bytes, absolute paths)', () => {
    expect(cfg.file).toBe(join(dir, 'replayd.yaml'));
    expect(cfg.receivers['template/checkout']).toEqual({
      type: 'template', id: 'template/checkout', loops: 3, pace: 'none', speed: 1,
      traces: join(dir, 't.pb'), metrics: join(dir, 'm.pb'), logs: join(dir, 'l.json'),
      stream: 'auto', streamThreshold: 256 * 1024 * 1024, streamChunk: 32 * 1024 * 1024, cacheDir: defaultCacheDir(),
    });
    expect(cfg.processors).toEqual({
      id_regen: { type: 'id_regen', id: 'id_regen' },
      timestamp: { type: 'timestamp', id: 'timestamp', backdateMs: 90_000, align: 'end', continuity: true, metricsIntervalMs: 10_000 },
      jitter: { type: 'jitter', id: 'jitter', maxMs: 100 },
      batch_splitter: { type: 'batch_splitter', id: 'batch_splitter', maxItems: 500, maxBytes: 1024 * 1024 },
      ratelimit: { type: 'ratelimit', id: 'ratelimit', eventsPerSecond: 200_000, burst: 400_000 },
    });
  });

  it('normalizes exporters: aliases, stripped scheme, expanded and lower-cased headers, defaults', () => {
    const retry = { enabled: true, initialIntervalMs: 5000, maxIntervalMs: 30_000, maxElapsedTimeMs: 300_000, multiplier: 1.5, randomizationFactor: 0.5 };
    const keepalive = { timeMs: 30_000, timeoutMs: 10_000, permitWithoutStream: false };
    expect(cfg.exporters['otlp/backend']).toEqual({
      type: 'otlp_grpc', id: 'otlp/backend', endpoint: 'localhost:4317', signalEndpoints: {}, encoding: 'proto',
      tls: { insecure: true, insecureSkipVerify: false }, headers: { 'x-api-key': SECRET }, compression: 'gzip', compressionLevel: 1, compressionStamped: true,
      timeoutMs: 10_000, maxInFlight: 4, retryOnFailure: retry, balancerName: 'pick_first', connections: 1, keepalive,
    });
    expect(cfg.exporters['otlphttp/backend']).toEqual({
      type: 'otlp_http', id: 'otlphttp/backend', endpoint: 'https://collector.local:4318/base',
      signalEndpoints: { traces: 'http://x/v1/traces' }, encoding: 'json',
      tls: { insecure: false, insecureSkipVerify: false }, headers: {}, compression: 'none', compressionLevel: 1, compressionStamped: true,
      timeoutMs: 2000, maxInFlight: 16, retryOnFailure: retry, balancerName: 'pick_first', connections: 1, keepalive,
    });
  });

  it('normalizes the sink and the service', () => {
    expect(cfg.extensions.sink).toEqual({ grpc: '127.0.0.1:4317', http: '[::1]:4318', verify: true, report: join(dir, 'out.json') });
    expect(cfg.service).toEqual({
      durationMs: 300_000,
      shutdownTimeoutMs: 10_000,
      allowExportFailures: false,
      replicas: { index: 0, count: 1, runId: expect.any(String), from: 'the default' },
      telemetry: { statsIntervalMs: 1000, logLevel: 'debug' },
      pipelines: {
        'traces/replay': {
          id: 'traces/replay', signal: 'traces', receivers: ['template/checkout'],
          processors: ['id_regen', 'timestamp', 'jitter', 'batch_splitter', 'ratelimit'],
          exporters: ['otlp/backend', 'otlphttp/backend'], workers: 2,
        },
        logs: { id: 'logs', signal: 'logs', receivers: ['template/checkout'], processors: [], exporters: ['otlp/backend'], workers: 1 },
      },
    });
  });
});

describe('parseConfig: defaults', () => {
  it('fills every documented default', () => {
    const cfg = parseConfig(
      `
receivers: { template/a: { traces: t.pb } }
processors: { timestamp: , batch_splitter: {}, ratelimit: { events_per_second: 10 } }
exporters: { otlp_grpc: { endpoint: "h:1" }, otlp_http: { endpoint: "http://h:2" } }
extensions: { sink: { http: "127.0.0.1:0" } }
service: { pipelines: { traces: { receivers: [template/a], exporters: [otlp_grpc] } } }
`,
      join(dir, 'x.yaml'),
      {},
    );
    expect(cfg.receivers['template/a']).toMatchObject({ loops: 0 });
    expect(cfg.processors.timestamp).toEqual({ type: 'timestamp', id: 'timestamp', backdateMs: 0, align: 'end', continuity: true, metricsIntervalMs: 10_000 });
    expect(cfg.processors.batch_splitter).toMatchObject({ maxItems: 10_000, maxBytes: 4_000_000 });
    expect(cfg.processors.ratelimit).toEqual({ type: 'ratelimit', id: 'ratelimit', eventsPerSecond: 10 });
    expect(cfg.exporters.otlp_grpc).toMatchObject({
      tls: { insecure: false, insecureSkipVerify: false }, compression: 'none', timeoutMs: 10_000, maxInFlight: 4,
      balancerName: 'pick_first', keepalive: { timeMs: 30_000, timeoutMs: 10_000, permitWithoutStream: false },
    });
    expect(cfg.exporters.otlp_http).toMatchObject({ encoding: 'proto', endpoint: 'http://h:2' });
    expect(cfg.extensions.sink).toEqual({ http: '127.0.0.1:0', verify: false });
    expect(cfg.service).toMatchObject({
      durationMs: 0, shutdownTimeoutMs: 30_000, allowExportFailures: false,
      replicas: { index: 0, count: 1, from: 'the default' },
      telemetry: { statsIntervalMs: 5000, metricsAddress: '127.0.0.1:8890', logLevel: 'info' },
    });
    expect(cfg.service.startAt).toBeUndefined();
    expect(cfg.service.pipelines.traces!.workers).toBe(1);
  });
});

describe('parseConfig: YAML and structure problems', () => {
  it('reports a YAML syntax error with line and column, without echoing the source line', () => {
    const problems = problemsOf(dir, `receivers:\n  a: b: c\nheaders: { k: "${SECRET}" }\n`);
    expectProblem(problems, '', /^YAML syntax error at line 2, column 6: /);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('reports duplicate keys and multiple documents', () => {
    expectProblem(problemsOf(dir, 'service: {}\nservice: {}\n'), '', /line 2, column 1: Map keys must be unique/);
    expectProblem(problemsOf(dir, 'service: {}\n---\nservice: {}\n'), '', /single YAML document/);
  });

  it('reports an empty file and a non-mapping top level', () => {
    expectProblem(problemsOf(dir, ''), 'service', 'is required');
    expectProblem(problemsOf(dir, '- a\n- b\n'), '', 'must be a mapping, got a list');
  });

  it('reports unknown keys at every level, with a suggestion when close', () => {
    const cfg = baseConfig();
    cfg.recievers = {};
    cfg.receivers['template/checkout'].loop = 1;
    cfg.exporters['otlp_grpc/backend'].tls.insecur = true;
    cfg.exporters['otlp_grpc/backend'].retry_on_failure = { max_intervall: '1s' };
    cfg.service.telemetry = { metrics: { adress: 'x' }, zzz: 1 };
    cfg.service.pipelines['traces/replay'].worker = 2;
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'recievers', 'unknown key "recievers" (did you mean "receivers"?)');
    expectProblem(problems, 'receivers.template/checkout.loop', 'unknown key "loop" (did you mean "loops"?)');
    expectProblem(problems, 'exporters.otlp_grpc/backend.tls.insecur', 'unknown key "insecur" (did you mean "insecure"?)');
    expectProblem(problems, 'exporters.otlp_grpc/backend.retry_on_failure.max_intervall', /did you mean "max_interval"/);
    expectProblem(problems, 'service.telemetry.metrics.adress', /did you mean "address"/);
    expectProblem(problems, 'service.telemetry.zzz', 'unknown key "zzz"');
    expectProblem(problems, 'service.pipelines.traces/replay.worker', /did you mean "workers"/);
    expect(problems).toHaveLength(7);
  });

  it('reports unknown component types and malformed ids', () => {
    const cfg = baseConfig();
    cfg.receivers['otlp/in'] = {};
    cfg.processors['batch/x'] = {};
    cfg.exporters['otlp_grcp/y'] = {};
    cfg.extensions = { health_check: {}, 'sink/two': { grpc: '127.0.0.1:1' } };
    cfg.processors['bad id'] = {};
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'receivers.otlp/in', 'unknown receiver type "otlp"; known: template, generator');
    expectProblem(problems, 'processors.batch/x', /^unknown processor type "batch"/);
    expectProblem(problems, 'exporters.otlp_grcp/y', /unknown exporter type "otlp_grcp" \(did you mean "otlp_grpc"\?\)/);
    expectProblem(problems, 'extensions.health_check', /unknown extension type "health_check"/);
    expectProblem(problems, 'extensions.sink/two', 'only one sink is supported: name it "sink"');
    expectProblem(problems, 'processors.bad id', 'invalid processor id "bad id": use type or type/name');
  });

  it('reports all problems of a broken file at once', () => {
    const cfg = baseConfig();
    cfg.processors.jitter = { max: 'soon' };
    cfg.exporters['otlp_grpc/backend'].compression = 'zstd';
    cfg.service.pipelines['traces/replay'].exporters = ['otlp_grpc/nope'];
    cfg.service.duration = 'forever';
    const problems = problemsOf(dir, cfg);
    expect(problems.map((p) => p.path)).toEqual([
      'processors.jitter.max',
      'exporters.otlp_grpc/backend.compression',
      'service.duration',
      'service.pipelines.traces/replay.exporters[0]',
    ]);
  });

  it('a missing file is a ConfigError naming it', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadConfig(missing)).toThrow(ConfigError);
    try {
      loadConfig(missing);
    } catch (err) {
      expect((err as ConfigError).code).toBe('ERR_CONFIG_NOT_FOUND');
      expect((err as ConfigError).problems[0]!.message).toBe(`config file ${missing} does not exist`);
    }
  });

  it('loadConfig reads the file and resolves template paths against its folder', () => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 't.pb'), 'x');
    const cfg = baseConfig();
    cfg.receivers['template/checkout'] = { traces: 't.pb' };
    writeFileSync(join(dir, 'sub', 'c.yaml'), JSON.stringify(cfg));
    const loaded = loadConfig(join(dir, 'sub', 'c.yaml'), {});
    expect(loaded.receivers['template/checkout']).toMatchObject({ traces: join(dir, 'sub', 't.pb') });
  });
});

describe('parseConfig: receivers', () => {
  it('reports template files that do not exist and a template without files', () => {
    const cfg = baseConfig();
    cfg.receivers['template/checkout'].metrics = 'missing.pb';
    cfg.receivers['template/empty'] = null;
    cfg.receivers['template/checkout'].loops = -1;
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'receivers.template/checkout.metrics', `template file ${join(dir, 'missing.pb')} does not exist`);
    expectProblem(problems, 'receivers.template/empty', 'needs at least one of traces, metrics, logs');
    expectProblem(problems, 'receivers.template/checkout.loops', 'must be a non-negative integer, got -1');
  });

  it('reads stream mode keys (cache_dir relative to the config file) and reports bad ones with their key path', () => {
    const cfg = baseConfig();
    Object.assign(cfg.receivers['template/checkout'], { stream: true, stream_threshold: '1GiB', stream_chunk: '8MiB', cache_dir: 'frames' });
    const parsed = parseConfig(JSON.stringify(cfg), join(dir, 's.yaml'), {});
    expect(parsed.receivers['template/checkout']).toMatchObject({ stream: true, streamThreshold: 1024 ** 3, streamChunk: 8 * 1024 ** 2, cacheDir: join(dir, 'frames') });
    Object.assign(cfg.receivers['template/checkout'], { stream: 'sometimes', stream_chunk: '2GiB', stream_threshold: 'big' });
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'receivers.template/checkout.stream', 'must be true, false or auto, got "sometimes"');
    expectProblem(problems, 'receivers.template/checkout.stream_chunk', /must be at most 1073741824 bytes/);
    expectProblem(problems, 'receivers.template/checkout.stream_threshold', /must be a size like/);
  });

  it('reports a template receiver without a file for the pipeline signal', () => {
    const cfg = baseConfig();
    cfg.receivers['template/checkout'] = { logs: 'l.json' };
    expectProblem(problemsOf(dir, cfg), 'service.pipelines.traces/replay.receivers[0]',
      'receiver "template/checkout" has no traces file (set receivers.template/checkout.traces)');
  });

  it('hands generator receivers to the generator and keeps pool, refresh, loops', () => {
    const cfg = baseConfig();
    cfg.receivers['generator/synth'] = { seed: 42, pool: 10, refresh: 5, loops: 2 };
    cfg.service.pipelines['traces/replay'].receivers = ['generator/synth'];
    const parsed = parseConfig(JSON.stringify(cfg), join(dir, 'g.yaml'), {});
    expect(parsed.receivers['generator/synth']).toMatchObject({ type: 'generator', id: 'generator/synth', pool: 10, refresh: 5, loops: 2 });
    cfg.receivers['generator/synth'] = { pool: 0 };
    expectProblem(problemsOf(dir, cfg), 'receivers.generator/synth.pool', 'must be a positive integer, got 0');
    cfg.receivers['generator/synth'] = 'all';
    expectProblem(problemsOf(dir, cfg), 'receivers.generator/synth', /must be a mapping/);
  });
});
