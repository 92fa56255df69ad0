import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, resolvePipelines } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { baseConfig, makeDir } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

function resolveRaw(raw: object) {
  return resolvePipelines(parseConfig(JSON.stringify(raw), `${dir}/c.yaml`, {}));
}

describe('resolvePipelines', () => {
  it('inlines components in pipeline order, pipelines in file order', () => {
    const raw = baseConfig();
    raw.processors = { jitter: { max: '5ms' }, id_regen: {}, timestamp: {} };
    raw.service.pipelines['traces/replay'].processors = ['id_regen', 'timestamp', 'jitter'];
    raw.service.pipelines.logs = { receivers: ['template/checkout'], exporters: ['otlp_grpc/backend'] };
    const resolved = resolveRaw(raw);
    expect(resolved.map((r) => r.pipeline.id)).toEqual(['traces/replay', 'logs']);
    expect(resolved[0]!.processors.map((p) => p.id)).toEqual(['id_regen', 'timestamp', 'jitter']);
    expect(resolved[0]!.receivers).toEqual([expect.objectContaining({ id: 'template/checkout', type: 'template' })]);
    expect(resolved[0]!.exporters).toEqual([expect.objectContaining({ id: 'otlp_grpc/backend', endpoint: '127.0.0.1:4317' })]);
    expect(resolved[1]!.processors).toEqual([]);
  });

  it('JSON is stable under reordering of keys and headers, and changes when a setting changes', () => {
    const a = baseConfig();
    a.exporters['otlp_grpc/backend'].headers = { 'x-a': '1', 'x-b': '2' };
    const b = baseConfig();
    b.exporters['otlp_grpc/backend'] = { headers: { 'X-B': '2', 'x-a': '1' }, tls: { insecure: true }, endpoint: '127.0.0.1:4317' };
    b.service.pipelines['traces/replay'] = { exporters: ['otlp_grpc/backend'], processors: ['id_regen'], receivers: ['template/checkout'] };
    expect(JSON.stringify(resolveRaw(b))).toBe(JSON.stringify(resolveRaw(a)));
    b.exporters['otlp_grpc/backend'].timeout = '11s';
    expect(JSON.stringify(resolveRaw(b))).not.toBe(JSON.stringify(resolveRaw(a)));
  });

  it('does not share objects with the config', () => {
    const cfg = parseConfig(JSON.stringify(baseConfig()), `${dir}/c.yaml`, {});
    const [first] = resolvePipelines(cfg);
    first!.exporters[0]!.maxInFlight = 99;
    expect(cfg.exporters['otlp_grpc/backend']!.maxInFlight).toBe(4);
  });

  it('crosses a worker_thread boundary intact', async () => {
    const resolved = resolveRaw(baseConfig());
    const worker = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.on("message", (m) => parentPort.postMessage(m));', { eval: true });
    try {
      const echoed = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage(resolved);
      });
      expect(echoed).toEqual(resolved);
    } finally {
      await worker.terminate();
    }
  });

  it('a dangling reference in a hand-built config is a ConfigError', () => {
    const cfg = parseConfig(JSON.stringify(baseConfig()), `${dir}/c.yaml`, {});
    cfg.service.pipelines['traces/replay']!.exporters.push('otlp_grpc/gone');
    expect(() => resolvePipelines(cfg)).toThrow(ConfigError);
  });
});
