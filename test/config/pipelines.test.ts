import { afterAll, describe, expect, it } from 'vitest';
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
});
