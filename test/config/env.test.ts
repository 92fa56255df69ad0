import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { expandEnv, expandString } from '../../src/config/env.js';
import type { ConfigProblem } from '../../src/errors.js';
import { SECRET, baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

function expand(s: string, env: Record<string, string | undefined>): { value: string; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  return { value: expandString(s, env, 'a.b', problems), problems };
}

describe('expandString', () => {
  it('expands set variables, defaults and $$', () => {
    expect(expand('${env:A}', { A: 'x' })).toEqual({ value: 'x', problems: [] });
    expect(expand('pre-${env:A}-${env:B}-post', { A: '1', B: '2' }).value).toBe('pre-1-2-post');
    expect(expand('${env:UNSET:-fallback}', {}).value).toBe('fallback');
    expect(expand('${env:A:-fallback}', { A: '' }).value).toBe('');
    expect(expand('${env:UNSET:-}', {}).value).toBe('');
    expect(expand('cost: $$5 and $$${env:A}', { A: '7' }).value).toBe('cost: $5 and $7');
    expect(expand('a lone $ stays', {}).value).toBe('a lone $ stays');
  });

  it('reports an unset variable without default, naming variable and key path', () => {
    const { problems } = expand('${env:API_KEY}', {});
    expect(problems).toEqual([{ path: 'a.b', message: 'environment variable API_KEY is not set (use ${env:API_KEY:-default} to give a default)' }]);
  });

  it('reports unsupported substitutions', () => {
    expect(expand('${HOME}', { HOME: '/h' }).problems[0]!.message).toMatch(/^unsupported substitution "\$\{HOME\}"/);
    expect(expand('${env:1BAD}', {}).problems).toHaveLength(1);
  });

  it('a value never becomes structure and is not expanded twice', () => {
    expect(expand('${env:A}', { A: '${env:B}', B: 'no' }).value).toBe('${env:B}');
    const problems: ConfigProblem[] = [];
    const tree = expandEnv({ k: ['${env:Y}'], n: 5 }, { Y: 'a\n  injected: true' }, problems);
    expect(tree).toEqual({ k: ['a\n  injected: true'], n: 5 });
    expect(problems).toEqual([]);
  });
});

describe('env expansion in parseConfig', () => {
  it('expands after YAML parsing, into strings, numbers and booleans', () => {
    const cfg = baseConfig();
    cfg.exporters['otlp_grpc/backend'] = {
      endpoint: '${env:HOST:-127.0.0.1}:${env:PORT}', tls: { insecure: '${env:INSECURE}' }, headers: { 'x-api-key': '${env:API_KEY}' },
      max_in_flight: '${env:INFLIGHT}',
    };
    const parsed = parseConfig(JSON.stringify(cfg), `${dir}/c.yaml`, { PORT: '4317', INSECURE: 'true', API_KEY: SECRET, INFLIGHT: '8' });
    expect(parsed.exporters['otlp_grpc/backend']).toMatchObject({
      endpoint: '127.0.0.1:4317', tls: { insecure: true }, headers: { 'x-api-key': SECRET }, maxInFlight: 8,
    });
  });

  it('an unset variable is a problem at its key path; its header name is kept, no value', () => {
    const cfg = baseConfig();
    cfg.exporters['otlp_grpc/backend'].headers = { 'x-api-key': '${env:API_KEY}' };
    const problems = problemsOf(dir, cfg, {});
    expectProblem(problems, 'exporters.otlp_grpc/backend.headers.x-api-key', /^environment variable API_KEY is not set/);
  });

  it('keys are not expanded; an expanded value cannot inject YAML structure', () => {
    const cfg = baseConfig();
    cfg.exporters['otlp_grpc/backend'].compression = '${env:C}';
    const problems = problemsOf(dir, cfg, { C: 'gzip\n    timeout: 1s' });
    expectProblem(problems, 'exporters.otlp_grpc/backend.compression', /^must be one of none, gzip, got "gzip\\n/);
  });

  it('nesting deeper than the limit is a problem, not a stack overflow', () => {
    const deep = `service: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    const problems = problemsOf(dir, deep);
    expectProblem(problems, `service${'[0]'.repeat(63)}`, 'nested more than 64 levels deep');
  });
});
