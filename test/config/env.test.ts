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
    expectProblem(problems, 'exporters.otlp_grpc/backend.compression', 'must be one of none, gzip, got "${env:C}"');
    expect(problems).toHaveLength(1);
  });


  it('nesting deeper than the limit is a problem, not a stack overflow', () => {
    const deep = `service: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    const problems = problemsOf(dir, deep);
    expectProblem(problems, `service${'[0]'.repeat(63)}`, 'nested more than 64 levels deep');
  });

  describe('a value that came from the environment is never printed; problems show it as written', () => {
    const messages = (problems: { message: string }[]): string => problems.map((p) => p.message).join('\n');

    it('shows ${env:API_KEY} for an endpoint that is a secret', () => {
      const cfg = baseConfig();
      cfg.exporters['otlp_grpc/backend'].endpoint = '${env:API_KEY}';
      const problems = problemsOf(dir, cfg, { API_KEY: SECRET });
      expectProblem(problems, 'exporters.otlp_grpc/backend.endpoint', 'must be host:port (e.g. 127.0.0.1:4317), got "${env:API_KEY}"');
      expect(messages(problems)).not.toContain(SECRET);
    });

    it('hides a long value that a message would shorten, and its beginning', () => {
      const long = `${SECRET}-${SECRET}-${SECRET}`;
      const cfg = baseConfig();
      cfg.exporters['otlp_grpc/backend'].compression = 'x${env:LONG}';
      const problems = problemsOf(dir, cfg, { LONG: long });
      expectProblem(problems, 'exporters.otlp_grpc/backend.compression', 'must be one of none, gzip, got "x${env:LONG}"');
      expect(messages(problems)).not.toContain(SECRET.slice(0, 8));
    });

    it('hides the part of a value a message quotes, and a value inside a path', () => {
      const cfg = baseConfig();
      cfg.exporters['otlp_grpc/backend'].endpoint = '${env:HOST}:4317';
      cfg.exporters['otlp_http/b'] = { endpoint: 'https://${env:TOKEN}:port' };
      cfg.receivers['template/checkout'].traces = '${env:DATA}/t.pb';
      const problems = problemsOf(dir, cfg, { HOST: 'bad host', TOKEN: SECRET, DATA: 'private-folder' });
      expectProblem(problems, 'exporters.otlp_grpc/backend.endpoint', 'has an invalid host "${env:HOST}"');
      expectProblem(problems, 'exporters.otlp_http/b.endpoint', 'must be an absolute http:// or https:// URL, got "https://${env:TOKEN}:port"');
      expectProblem(problems, 'receivers.template/checkout.traces', `template file ${dir}/\${env:DATA}/t.pb does not exist`);
      expect(messages(problems)).not.toMatch(/bad host|private-folder/);
      expect(messages(problems)).not.toContain(SECRET);
    });

    it('shows a default written in the file as it is', () => {
      const cfg = baseConfig();
      cfg.exporters['otlp_grpc/backend'].endpoint = '${env:UNSET:-nohost}';
      expectProblem(problemsOf(dir, cfg, {}), 'exporters.otlp_grpc/backend.endpoint', 'must be host:port (e.g. 127.0.0.1:4317), got "nohost"');
    });
  });
});
