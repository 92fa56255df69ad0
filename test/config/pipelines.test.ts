import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_REDACT } from '../../src/recorder/redact.js';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);
const AT = 'service.pipelines.traces/replay';

describe('pipelines', () => {
  it('pipeline ids must be a signal, optionally with a name', () => {
    const cfg = baseConfig();
    cfg.service.pipelines['trace/x'] = cfg.service.pipelines['traces/replay'];
    cfg.service.pipelines.metrics = { ...cfg.service.pipelines['traces/replay'] };
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'service.pipelines.trace/x', 'pipeline id must be traces, metrics or logs, optionally with /name (did you mean "traces"?)');
    expect(problems).toHaveLength(1);
  });

  it('exactly one receiver', () => {
    const cfg = baseConfig();
    cfg.service.pipelines['traces/replay'].receivers = [];
    expectProblem(problemsOf(dir, cfg), `${AT}.receivers`, 'needs exactly one receiver, got 0 (use one pipeline per receiver)');
    cfg.receivers['template/b'] = { traces: 't.pb' };
    cfg.service.pipelines['traces/replay'].receivers = ['template/checkout', 'template/b'];
    expectProblem(problemsOf(dir, cfg), `${AT}.receivers`, 'needs exactly one receiver, got 2 (use one pipeline per receiver)');
    delete cfg.service.pipelines['traces/replay'].receivers;
    expectProblem(problemsOf(dir, cfg), `${AT}.receivers`, /^needs exactly one receiver, got 0/);
  });

  it('at least one exporter', () => {
    const cfg = baseConfig();
    cfg.service.pipelines['traces/replay'].exporters = [];
    expectProblem(problemsOf(dir, cfg), `${AT}.exporters`, 'needs at least one exporter');
  });

  it('dangling references name the list position and suggest the closest id', () => {
    const cfg = baseConfig();
    cfg.service.pipelines['traces/replay'] = {
      receivers: ['template/chekout'], processors: ['id_regen', 'jitter'], exporters: ['otlp_grpc/backend', 'otlp_grpc/x'],
    };
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, `${AT}.receivers[0]`, 'receiver "template/chekout" is not configured (did you mean "template/checkout"?)');
    expectProblem(problems, `${AT}.processors[1]`, 'processor "jitter" is not configured');
    expectProblem(problems, `${AT}.exporters[1]`, 'exporter "otlp_grpc/x" is not configured');
    expect(problems).toHaveLength(3);
  });

  it('lists must be lists of strings; workers >= 1', () => {
    const cfg = baseConfig();
    Object.assign(cfg.service.pipelines['traces/replay'], { processors: 'id_regen', exporters: [{ a: 1 }], workers: 0 });
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, `${AT}.processors`, 'must be a list of component ids, got "id_regen"');
    expectProblem(problems, `${AT}.exporters[0]`, 'must be a component id, got a mapping');
    expectProblem(problems, `${AT}.workers`, /^must be a positive integer/);
    cfg.service.pipelines['traces/replay'].workers = 2.5;
    expectProblem(problemsOf(dir, cfg), `${AT}.workers`, /^must be a positive integer of at most 1024, got 2.5$/);
  });

  it('service needs pipelines', () => {
    const cfg = baseConfig();
    cfg.service = {};
    expectProblem(problemsOf(dir, cfg), 'service.pipelines', 'is required');
    cfg.service = { pipelines: {} };
    expectProblem(problemsOf(dir, cfg), 'service.pipelines', 'needs at least one pipeline');
  });
});

describe('service and sink settings', () => {
  it('durations, telemetry and log level are checked', () => {
    const cfg = baseConfig();
    Object.assign(cfg.service, {
      duration: '5 min', shutdown_timeout: '0', telemetry: { stats_interval: 'often', metrics: { address: 'nohost' }, logs: { level: 'verbose' } },
    });
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'service.duration', /^must be a duration/);
    expectProblem(problems, 'service.shutdown_timeout', 'must be greater than 0');
    expectProblem(problems, 'service.telemetry.stats_interval', /^must be a duration/);
    expectProblem(problems, 'service.telemetry.metrics.address', /^must be host:port/);
    expectProblem(problems, 'service.telemetry.logs.level', 'must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"');
  });

  it('metrics address "" or none disables metrics', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    for (const address of ['', 'none']) {
      const cfg = baseConfig();
      cfg.service.telemetry = { metrics: { address } };
      expect(parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, {}).service.telemetry.metricsAddress).toBeUndefined();
    }
  });

  it('service.capacity is read with its defaults, and checked key by key', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const cfg = baseConfig();
    cfg.service.capacity = { start_rate: 5000, window: '3s', max_p99: '250ms' };
    expect(parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, {}).service.capacity).toEqual({
      startRate: 5000, maxRate: 0, growth: 2, precision: 0.05, warmupMs: 5000, windowMs: 3000,
      minSentRatio: 0.95, maxErrorRatio: 0.01, maxP99Ms: 250, confirmFailures: 1, maxSteps: 30,
    });
    cfg.service.capacity = { start_rate: 0, growth: 1, precision: 2, window: 0, max_rate: 10, min_sent_ratio: 1.5, confirm_failures: -1, speed: 3 };
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'service.capacity.start_rate', 'must be a positive number, got 0');
    expectProblem(problems, 'service.capacity.growth', 'must be greater than 1');
    expectProblem(problems, 'service.capacity.precision', 'must be a positive number of at most 1, got 2');
    expectProblem(problems, 'service.capacity.window', 'must be greater than 0');
    expectProblem(problems, 'service.capacity.min_sent_ratio', 'must be a positive number of at most 1, got 1.5');
    expectProblem(problems, 'service.capacity.confirm_failures', /^must be a non-negative integer/);
    expectProblem(problems, 'service.capacity.speed', 'unknown key "speed"');
    // start_rate fell back to its default (1000), which max_rate 10 is below.
    expectProblem(problems, 'service.capacity.max_rate', 'must be at least start_rate (1000), or 0 for no limit');
  });

  it('the sink max_rate is a positive number of events per second', () => {
    const cfg = baseConfig();
    cfg.extensions = { sink: { grpc: '127.0.0.1:0', max_rate: 0 } };
    expectProblem(problemsOf(dir, cfg), 'extensions.sink.max_rate', 'must be a positive number, got 0');
  });

  it('the sink verify_sample is a fraction in (0, 1] that needs verify, and reaches the sink config', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const sinkOf = (sink: object) => {
      const cfg = baseConfig();
      cfg.extensions = { sink: { grpc: '127.0.0.1:0', ...sink } };
      return cfg;
    };
    expect(parseConfig(JSON.stringify(sinkOf({ verify: true, verify_sample: 0.25 })), `${dir}/c.yaml`, {}).extensions.sink).toMatchObject({ verify: true, verifySample: 0.25 });
    expect(parseConfig(JSON.stringify(sinkOf({ verify: true })), `${dir}/c.yaml`, {}).extensions.sink!.verifySample).toBeUndefined();
    expectProblem(problemsOf(dir, sinkOf({ verify: true, verify_sample: 1.5 })), 'extensions.sink.verify_sample', 'must be a positive number of at most 1, got 1.5');
    expectProblem(problemsOf(dir, sinkOf({ verify_sample: 0.5 })), 'extensions.sink.verify_sample', 'needs verify: true');
  });

  it('dashboard is true, false or unset (when a person watches), and needs the metrics address it is served on', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const telemetryOf = (telemetry: object) => {
      const cfg = baseConfig();
      cfg.service.telemetry = telemetry;
      return parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, {}).service.telemetry;
    };
    expect(telemetryOf({}).dashboard).toBeUndefined();
    expect(telemetryOf({ dashboard: true }).dashboard).toBe(true);
    expect(telemetryOf({ dashboard: 'false' }).dashboard).toBe(false);
    expect(telemetryOf({ dashboard: false, metrics: { address: 'none' } }).dashboard).toBe(false);
    const cfg = baseConfig();
    cfg.service.telemetry = { dashboard: true, metrics: { address: 'none' } };
    expectProblem(problemsOf(dir, cfg), 'service.telemetry.dashboard', /^is served on service.telemetry.metrics.address, which is disabled/);
    cfg.service.telemetry = { dashboard: 'yes' };
    expectProblem(problemsOf(dir, cfg), 'service.telemetry.dashboard', 'must be true or false, got "yes"');
  });

  it('the sink needs grpc or http, valid addresses and an existing report folder', () => {
    const cfg = baseConfig();
    cfg.extensions = { sink: { verify: true } };
    expectProblem(problemsOf(dir, cfg), 'extensions.sink', 'needs at least one of grpc, http');
    cfg.extensions = { sink: { grpc: '127.0.0.1', http: '127.0.0.1:0', report: 'no/such/dir/r.json', verify: 'yes' } };
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'extensions.sink.grpc', /^must be host:port/);
    expectProblem(problems, 'extensions.sink.report', `folder ${dir}/no/such/dir does not exist`);
    expectProblem(problems, 'extensions.sink.verify', 'must be true or false, got "yes"');
    expect(problems).toHaveLength(3);
  });

  it('the recorder needs an address and an output folder; its signals, sizes and patterns are checked, its defaults kept', () => {
    const cfg = baseConfig();
    cfg.extensions = { recorder: { signals: 'traces,spans', max_size: 'lots', redact: ['ok.*', '('], default_redact: 'no' } };
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'extensions.recorder', 'needs at least one of grpc, http');
    expectProblem(problems, 'extensions.recorder.out', 'is required');
    expectProblem(problems, 'extensions.recorder.signals', 'must list some of traces, metrics, logs');
    expectProblem(problems, 'extensions.recorder.max_size', /^must be a size/);
    expectProblem(problems, 'extensions.recorder.redact[1]', /^is not a regular expression/);
    expectProblem(problems, 'extensions.recorder.default_redact', 'must be true or false, got "no"');
    expect(problems).toHaveLength(6);
    cfg.extensions = { 'recorder/b': { http: '127.0.0.1:0', out: 'rec' } };
    expectProblem(problemsOf(dir, cfg), 'extensions.recorder/b', 'only one recorder is supported: name it "recorder"');
  });

  it('the recorder resolves its folder against the config file and adds user patterns to the default ones', () => {
    const cfg = baseConfig();
    cfg.extensions = { recorder: { http: '127.0.0.1:0', out: 'rec', redact: ['customer\\..*'], signals: ['logs', 'traces'], duration: '5m', max_size: '10MB' } };
    const parsed = parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, {}).extensions.recorder!;
    expect(parsed).toMatchObject({ http: '127.0.0.1:0', out: `${dir}/rec`, signals: ['logs', 'traces'], durationMs: 300_000, maxSize: 10_000_000 });
    expect(parsed.redact).toEqual([...DEFAULT_REDACT, 'customer\\..*']);
    cfg.extensions = { recorder: { grpc: '127.0.0.1:0', out: 'rec', default_redact: false } };
    expect(parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, {}).extensions.recorder).toMatchObject({ redact: [], maxSize: Infinity, signals: ['traces', 'metrics', 'logs'] });
  });
});
