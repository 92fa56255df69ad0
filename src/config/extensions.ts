/** `extensions:` — only the built-in sink, which receives what the pipelines send. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import type { SinkExtensionConfig } from './types.js';
import { checkHostPort } from './endpoints.js';
import { Section, type KeyTable } from './schema.js';

export const EXTENSION_TYPES = ['sink'] as const;

export const SINK_KEYS: KeyTable = {
  grpc: { doc: 'host:port to serve OTLP gRPC on; at least one of grpc and http is required.' },
  http: { doc: 'host:port to serve OTLP/HTTP on.' },
  verify: { doc: 'Decode every request and check ids and timestamps (costs CPU).', default: false },
  max_rate: { doc: 'Accept at most this many events/s (a token bucket); above it answer RESOURCE_EXHAUSTED / 429 with a retry delay, as an overloaded backend would.' },
  report: { doc: 'Write a JSON report of what was received to this file (relative to the config file) at exit.' },
};

export function parseSink(raw: unknown, baseDir: string, path: string, problems: ConfigProblem[]): SinkExtensionConfig {
  const s = new Section(raw, path, SINK_KEYS, problems);
  const cfg: SinkExtensionConfig = { verify: s.bool('verify') };
  for (const key of ['grpc', 'http'] as const) {
    const addr = s.string(key);
    if (addr === undefined) continue;
    const bad = checkHostPort(addr, { listen: true });
    if (bad) s.problem(key, bad);
    cfg[key] = addr;
  }
  if (!s.has('grpc') && !s.has('http')) problems.push({ path, message: 'needs at least one of grpc, http' });
  const maxRate = s.number('max_rate', { positive: true });
  if (maxRate !== undefined) cfg.maxRate = maxRate;
  const report = s.string('report');
  if (report !== undefined) {
    cfg.report = resolve(baseDir, report);
    if (!isDirectory(dirname(cfg.report))) s.problem('report', `folder ${dirname(cfg.report)} does not exist`);
  }
  return cfg;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
