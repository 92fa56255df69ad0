import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, resolvePipelines, type ConfigOverrides } from '../../src/config/load.js';
import { parseReplicaFlag } from '../../src/config/replicas.js';
import { startAtMs } from '../../src/config/service.js';
import type { ReplaydConfig } from '../../src/config/types.js';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

function withService(service: Record<string, unknown>): Record<string, any> {
  const c = baseConfig();
  Object.assign(c.service, service);
  return c;
}

function load(cfg: object, env: Record<string, string> = {}, overrides: ConfigOverrides = {}): ReplaydConfig {
  return parseConfig(stringify(cfg), join(dir, 'replayd.yaml'), env, overrides);
}

describe('service.replicas', () => {
  it('is replica 0 of 1 by default, whatever the hostname', () => {
    expect(load(baseConfig(), { HOSTNAME: 'web-3' }).service.replicas).toMatchObject({ index: 0, count: 1 });
  });

  it('takes the index of an Indexed Job pod from JOB_COMPLETION_INDEX and the count from OTEL_REPLAYD_REPLICAS', () => {
    const r = load(baseConfig(), { JOB_COMPLETION_INDEX: '2', OTEL_REPLAYD_REPLICAS: '4' }).service.replicas;
    expect(r).toMatchObject({ index: 2, count: 4, from: 'JOB_COMPLETION_INDEX' });
  });

  it('takes the index of a StatefulSet pod from the ordinal ending its hostname when the count is above 1', () => {
    const r = load(withService({ replicas: { count: 8 } }), { HOSTNAME: 'otel-replayd-7' }).service.replicas;
    expect(r).toMatchObject({ index: 7, count: 8, from: 'the hostname "otel-replayd-7"' });
  });

  it('prefers the keys to the environment, and --replica to both', () => {
    const cfg = withService({ replicas: { count: 3, index: 1 } });
    expect(load(cfg, { JOB_COMPLETION_INDEX: '2', OTEL_REPLAYD_REPLICAS: '9' }).service.replicas).toMatchObject({ index: 1, count: 3 });
    expect(load(cfg, {}, { replica: { index: 4, count: 5 } }).service.replicas).toMatchObject({ index: 4, count: 5, from: '--replica' });
  });

  it('names the run from run_id, else $OTEL_REPLAYD_RUN_ID, else one random id per process', () => {
    expect(load(withService({ replicas: { run_id: 'nightly-7' } })).service.replicas.runId).toBe('nightly-7');
    expect(load(baseConfig(), { OTEL_REPLAYD_RUN_ID: 'job-uid' }).service.replicas.runId).toBe('job-uid');
    expect(load(baseConfig()).service.replicas.runId).toBe(load(baseConfig()).service.replicas.runId);
  });

  it('hands every pipeline its replica, so a reload that changes the count restarts them with new shares', () => {
    const [r] = resolvePipelines(load(baseConfig(), { JOB_COMPLETION_INDEX: '1', OTEL_REPLAYD_REPLICAS: '2' }));
    expect(r!.replica).toEqual({ index: 1, count: 2 });
  });

  it('reports an index at or above the count, naming where each came from', () => {
    expectProblem(problemsOf(dir, baseConfig(), { JOB_COMPLETION_INDEX: '4', OTEL_REPLAYD_REPLICAS: '4' }), 'service.replicas.index',
      'replica index 4 (from JOB_COMPLETION_INDEX) must be below the replica count 4 (from OTEL_REPLAYD_REPLICAS)');
    expectProblem(problemsOf(dir, baseConfig(), { JOB_COMPLETION_INDEX: '1' }), 'service.replicas.index', /below the replica count 1 \(from the default count\)/);
  });

  it('asks for an index when the count is above 1 and nothing gives one', () => {
    expectProblem(problemsOf(dir, withService({ replicas: { count: 4 } }), { HOSTNAME: 'laptop' }), 'service.replicas.index',
      /is needed when the replica count is 4: set it, pass --replica I\/N, or run as an Indexed Job pod/);
  });

  it('reports bad values with the key path, and bad variables by name', () => {
    expectProblem(problemsOf(dir, withService({ replicas: { count: 0 } })), 'service.replicas.count', /positive integer/);
    expectProblem(problemsOf(dir, withService({ replicas: { count: 70_000 } })), 'service.replicas.count', /at most 65536/);
    expectProblem(problemsOf(dir, withService({ replicas: { index: -1 } })), 'service.replicas.index', /non-negative integer/);
    expectProblem(problemsOf(dir, withService({ replicas: { cout: 2 } })), 'service.replicas.cout', /did you mean "count"/);
    expectProblem(problemsOf(dir, baseConfig(), { OTEL_REPLAYD_REPLICAS: 'four' }), 'service.replicas.count', '$OTEL_REPLAYD_REPLICAS must be an integer from 1 to 65536, got "four"');
    expectProblem(problemsOf(dir, baseConfig(), { JOB_COMPLETION_INDEX: '-1' }), 'service.replicas.index', /\$JOB_COMPLETION_INDEX must be an integer/);
  });
});

describe('--replica I/N', () => {
  it('reads replica I of N, from 0', () => {
    expect(parseReplicaFlag('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseReplicaFlag('0/1')).toEqual({ index: 0, count: 1 });
  });

  it('refuses an index outside the count and anything else', () => {
    for (const bad of ['4/4', '1/0', '-1/4', '1', '1/2/3', 'a/b', '0/70000']) expect(parseReplicaFlag(bad), bad).toBeUndefined();
  });
});

describe('service.start_at', () => {
  it('reads an RFC 3339 time with a zone, or next_minute', () => {
    expect(load(withService({ start_at: '2026-05-01T12:00:00Z' })).service.startAt).toBe(Date.UTC(2026, 4, 1, 12));
    expect(load(withService({ start_at: '2026-05-01T14:00:00.5+02:00' })).service.startAt).toBe(Date.UTC(2026, 4, 1, 12, 0, 0, 500));
    expect(load(withService({ start_at: 'next_minute' })).service.startAt).toBe('next_minute');
  });

  it('refuses a time without a zone or in another format, with the key path', () => {
    for (const bad of ['2026-05-01T12:00:00', '2026-05-01', 'tomorrow', '2026-13-01T00:00:00Z']) {
      expectProblem(problemsOf(dir, withService({ start_at: bad })), 'service.start_at', /must be an RFC 3339 time with a zone/);
    }
  });

  it('starts next_minute at the next full minute, even a second before it', () => {
    expect(startAtMs('next_minute', Date.UTC(2026, 0, 1, 10, 0, 59, 999))).toBe(Date.UTC(2026, 0, 1, 10, 1));
    expect(startAtMs('next_minute', Date.UTC(2026, 0, 1, 10, 1))).toBe(Date.UTC(2026, 0, 1, 10, 2));
    expect(startAtMs(123, 999)).toBe(123);
    expect(startAtMs(undefined, 999)).toBeUndefined();
  });
});
