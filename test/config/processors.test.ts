import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, parseConfig } from '../../src/config/load.js';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

function withProcessors(processors: Record<string, unknown>): Record<string, any> {
  const cfg = baseConfig();
  cfg.processors = processors;
  cfg.service.pipelines['traces/replay'].processors = Object.keys(processors);
  return cfg;
}

describe('processor settings', () => {
  it('jitter max is required and must be a duration', () => {
    expectProblem(problemsOf(dir, withProcessors({ jitter: {} })), 'processors.jitter.max', 'is required');
    expectProblem(problemsOf(dir, withProcessors({ jitter: { max: '5 minutes' } })), 'processors.jitter.max',
      'must be a duration like "250ms", "30s" or "5m", got "5 minutes"');
    expectProblem(problemsOf(dir, withProcessors({ jitter: { max: '9999h' } })), 'processors.jitter.max', /^must be at most 596h/);
  });

  it('timestamp backdate must be a duration', () => {
    expectProblem(problemsOf(dir, withProcessors({ timestamp: { backdate: -1 } })), 'processors.timestamp.backdate', /^must be a duration/);
  });

  it('batch_splitter limits must be positive, sizes parsed with units', () => {
    const problems = problemsOf(dir, withProcessors({ batch_splitter: { max_items: 1.5, max_bytes: '4 parsecs' } }));
    expectProblem(problems, 'processors.batch_splitter.max_items', /^must be a positive integer of at most \d+, got 1.5$/);
    expectProblem(problems, 'processors.batch_splitter.max_bytes', 'must be a size like "512KiB" or "4MB", got "4 parsecs"');
    expectProblem(problemsOf(dir, withProcessors({ batch_splitter: { max_bytes: 0 } })), 'processors.batch_splitter.max_bytes', 'must be greater than 0');
    expectProblem(problemsOf(dir, withProcessors({ batch_splitter: { max_bytes: '8GiB' } })), 'processors.batch_splitter.max_bytes', /^must be at most \d+ bytes/);
  });

  it('ratelimit rates must be positive numbers', () => {
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: {} })), 'processors.ratelimit.events_per_second', 'is required (or give stages)');
    for (const bad of [0, -10, 'fast', 1e400]) {
      expectProblem(problemsOf(dir, withProcessors({ ratelimit: { events_per_second: bad } })), 'processors.ratelimit.events_per_second',
        /^must be a positive number, got /);
    }
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { events_per_second: 10, burst: 0 } })), 'processors.ratelimit.burst',
      'must be a positive number, got 0');
    expect(problemsOf(dir, withProcessors({ ratelimit: { events_per_second: 0.5 } }))).toEqual([]);
  });

  it('ratelimit stages are read as k6 stages: durations and targets, ramping from start_rate', () => {
    const cfg = withProcessors({ ratelimit: { stages: [{ duration: '1m', target: 100_000 }, { duration: '30s', target: 400_000 }], start_rate: 1000 } });
    expect(parseConfig(stringify(cfg), join(dir, 'replayd.yaml')).processors.ratelimit).toEqual({
      type: 'ratelimit', id: 'ratelimit', startRate: 1000,
      stages: [{ durationMs: 60_000, target: 100_000 }, { durationMs: 30_000, target: 400_000 }],
    });
  });

  it('ratelimit stages are checked one by one, each problem with its key path', () => {
    const stages = [{ duration: '10s', target: 1000 }, { duration: '10s', target: 2000 }, { duration: 0, target: 'lots' }, 'fast', { duration: '1s' }];
    const problems = problemsOf(dir, withProcessors({ ratelimit: { stages, burst: 100 } }));
    expectProblem(problems, 'processors.ratelimit.stages[2].duration', 'must be greater than 0');
    expectProblem(problems, 'processors.ratelimit.stages[2].target', /^must be a non-negative number, got "lots"/);
    expectProblem(problems, 'processors.ratelimit.stages[3]', 'must be a mapping, got "fast"');
    expectProblem(problems, 'processors.ratelimit.stages[4].target', 'is required');
    expect(problems).toHaveLength(4);
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { stages: [{ duration: '1s', target: 1, speed: 2 }] } })), 'processors.ratelimit.stages[0].speed',
      'unknown key "speed"');
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { stages: [] } })), 'processors.ratelimit.stages', /^must be a non-empty list of \{ duration, target \}/);
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { stages: [{ duration: '5s', target: 0 }] } })), 'processors.ratelimit.stages',
      'every target is 0: nothing would be sent');
  });

  it('ratelimit takes exactly one of events_per_second and stages; start_rate only with stages', () => {
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { events_per_second: 10, stages: [{ duration: '1s', target: 5 }] } })),
      'processors.ratelimit.events_per_second', 'give events_per_second or stages, not both');
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { events_per_second: 10, start_rate: 5 } })), 'processors.ratelimit.start_rate',
      'is only used with stages');
    expectProblem(problemsOf(dir, withProcessors({ ratelimit: { stages: [{ duration: '1s', target: 5 }], start_rate: -1 } })), 'processors.ratelimit.start_rate',
      /^must be a non-negative number/);
  });

  it('a processor listed twice, or two of one type, is reported', () => {
    const cfg = withProcessors({ jitter: { max: '1s' }, 'jitter/b': { max: '2s' } });
    cfg.service.pipelines['traces/replay'].processors = ['jitter', 'jitter/b', 'jitter'];
    const problems = problemsOf(dir, cfg);
    expectProblem(problems, 'service.pipelines.traces/replay.processors[2]', 'processor "jitter" is listed twice');
    expectProblem(problems, 'service.pipelines.traces/replay.processors[1]', '"jitter/b" and "jitter" are both jitter processors; use one');
  });
});

describe('resource: from_env', () => {
  const secret = 'tenant-0123456789-secret';

  function resourceConfig(block: object): Record<string, any> {
    const cfg = baseConfig();
    cfg.processors = { resource: block };
    cfg.service.pipelines['traces/replay'].processors = ['resource'];
    return cfg;
  }

  it('needs no attributes list; validate names the keys taken from the environment, never their values', () => {
    const cfg = parseConfig(JSON.stringify(resourceConfig({ from_env: true })), `${dir}/c.yaml`, {
      OTEL_RESOURCE_ATTRIBUTES: `tenant=${secret},region=eu`, OTEL_SERVICE_NAME: `svc-${secret}`,
    });
    expect(cfg.processors.resource).toMatchObject({ fromEnv: { resourceAttributes: ['tenant', 'region'], serviceName: true } });
    const text = describeConfig(cfg);
    expect(text).toContain('resource: on every resource: upsert from the environment tenant, region, service.name (OTEL_SERVICE_NAME)');
    expect(text).not.toContain(secret);
  });

  it('a malformed OTEL_RESOURCE_ATTRIBUTES is a problem at from_env naming the variable, without its value', () => {
    const problems = problemsOf(dir, resourceConfig({ from_env: true }), { OTEL_RESOURCE_ATTRIBUTES: `a=1,${secret}` });
    expectProblem(problems, 'processors.resource.from_env', 'OTEL_RESOURCE_ATTRIBUTES: entry 2 has no "=" (expected key=value)');
    expect(JSON.stringify(problems)).not.toContain(secret);
  });

  it('says when from_env finds nothing set; attributes stay required without from_env', () => {
    expect(describeConfig(parseConfig(JSON.stringify(resourceConfig({ from_env: true })), `${dir}/c.yaml`, {})))
      .toContain('resource: on every resource: from_env, but OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are not set');
    expectProblem(problemsOf(dir, resourceConfig({}), {}), 'processors.resource.attributes', 'is required');
  });
});
