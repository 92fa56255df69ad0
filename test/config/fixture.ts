/** A throwaway folder with template files, and a valid base config to mutate per test. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';

export const SECRET = 'sk-live-0123456789abcdef';

export function makeDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'replayd-config-'));
  for (const f of ['t.pb', 'm.pb', 'l.json']) writeFileSync(join(dir, f), 'x');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The smallest valid config: one traces pipeline. Tests deep-copy and edit it. */
export function baseConfig(): Record<string, any> {
  return {
    receivers: { 'template/checkout': { traces: 't.pb', metrics: 'm.pb', logs: 'l.json' } },
    processors: { id_regen: {} },
    exporters: { 'otlp_grpc/backend': { endpoint: '127.0.0.1:4317', tls: { insecure: true } } },
    service: {
      pipelines: { 'traces/replay': { receivers: ['template/checkout'], processors: ['id_regen'], exporters: ['otlp_grpc/backend'] } },
    },
  };
}

/** Problems reported for `cfg` (YAML text or an object), or [] when it is valid. */
export function problemsOf(dir: string, cfg: string | object, env: Record<string, string | undefined> = {}): ConfigProblem[] {
  const text = typeof cfg === 'string' ? cfg : stringify(cfg);
  try {
    parseConfig(text, join(dir, 'replayd.yaml'), env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

/** Asserts that exactly this problem is among those reported. */
export function expectProblem(problems: ConfigProblem[], path: string, message: string | RegExp): void {
  const match = problems.find((p) => p.path === path && (typeof message === 'string' ? p.message === message : message.test(p.message)));
  expect(match, `no problem at ${path} matching ${message}; got ${JSON.stringify(problems, null, 1)}`).toBeDefined();
}
