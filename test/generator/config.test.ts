import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/errors.js';
import { parseGeneratorConfig, toYamlForm } from '../../src/generator/config.js';

function parse(raw: unknown, path = 'receivers.generator/x') {
  const problems: ConfigProblem[] = [];
  const cfg = parseGeneratorConfig(raw, path, problems);
  return { cfg, problems };
}

describe('parseGeneratorConfig', () => {
  it('accepts the seed tool keys and fills defaults', () => {
    const { cfg, problems } = parse({
      output: { directory: './generated', prefix: 'telemetry' },
      traces: {
        count: 100,
        spans: { avg_per_trace: 20, std_dev: 4, high_span_traces: { enabled: true, count: 2, span_count: 5000 } },
        services: { count: 3, names: ['a', 'b', 'c'], ingress: { single: true, service: 'b' } },
        custom_attributes: { count: 5 },
      },
      metrics: { metric_count: 10, timeseries_per_metric: { min: 5, max: 20, default: 10 }, types: ['host_metrics', 'k8s_pod'] },
      logs: { count: 50, types: { http_access: { percentage: 50 }, application: { percentage: 50, services: ['a'] } } },
    });
    expect(problems).toEqual([]);
    expect(cfg.seed).toBe(1);
    expect(cfg.maxSize).toBe(10e9);
    expect(cfg.output).toEqual({ directory: './generated', prefix: 'telemetry' });
    expect(cfg.traces!.spans.highSpanTraces).toEqual({ enabled: true, count: 2, spanCount: 5000 });
    expect(cfg.traces!.services.ingress).toEqual({ single: true, service: 'b' });
    expect(cfg.traces!.errorRate).toBe(0.02);
    expect(cfg.metrics!.types).toEqual(['host_metrics', 'k8s_pod']);
    expect(cfg.logs!.types).toEqual({ http_access: 50, application: 50, system: 0 });
    expect(cfg.logs!.applicationServices).toEqual(['a']);
  });

  it('accepts the receiver keys pool, refresh and loops without complaint', () => {
    expect(parse({ seed: 3, pool: 100, refresh: 5, loops: 0, traces: {} }).problems).toEqual([]);
  });

  it('reports every problem with its full key path and never throws', () => {
    const { problems } = parse({
      seed: -1,
      max_size: 'lots',
      traces: { count: 'many', spans: { avg_per_trace: 0, bogus: 1 }, services: { count: 4, names: ['a', 'a'], ingress: { service: 'z' } } },
      metrics: { types: ['host_metrics', 'gpu'], timeseries_per_metric: { min: 10, max: 5, default: 7 } },
      logs: { types: { http_access: { percentage: 0 } } },
      extra: true,
    });
    const paths = problems.map((p) => p.path);
    const base = 'receivers.generator/x';
    for (const p of [
      `${base}.seed`, `${base}.max_size`, `${base}.extra`, `${base}.traces.count`, `${base}.traces.spans.avg_per_trace`,
      `${base}.traces.spans.bogus`, `${base}.traces.services.names`, `${base}.traces.services.ingress.service`,
      `${base}.metrics.types`, `${base}.metrics.timeseries_per_metric`, `${base}.logs.types`,
    ]) expect(paths).toContain(p);
    expect(problems.find((p) => p.path === `${base}.metrics.types`)!.message).toContain('"gpu"');
    expect(parse('nope').problems).toEqual([{ path: base, message: 'must be a mapping' }]);
  });

  it('takes numbers and booleans from ${env:...} expansion, which always yields text', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const cfg = parseConfig(
      `
receivers:
  generator/x: { seed: "\${env:SEED}", traces: { count: "\${env:N}", error_rate: "\${env:E}", spans: { high_span_traces: { enabled: "\${env:H}" } } } }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:4317, tls: { insecure: true } }
service:
  pipelines:
    traces: { receivers: [generator/x], exporters: [otlp_grpc] }
`,
      '/tmp/env.yaml',
      { SEED: '9', N: '25', E: '0.5', H: 'true' },
    );
    const g = (cfg.receivers['generator/x'] as { generator: { seed: number; traces: { count: number; errorRate: number; spans: { highSpanTraces: { enabled: boolean } } } } }).generator;
    expect(g.seed).toBe(9);
    expect(g.traces.count).toBe(25);
    expect(g.traces.errorRate).toBe(0.5);
    expect(g.traces.spans.highSpanTraces.enabled).toBe(true);
    expect(parse({ traces: { count: 'many' } }).problems).toEqual([
      { path: 'receivers.generator/x.traces.count', message: expect.stringContaining('must be an integer') },
    ]);
  });

  it('parses max_size with units', () => {
    expect(parse({ max_size: '512MiB' }).cfg.maxSize).toBe(512 * 1024 * 1024);
  });

  it('round-trips through the YAML form used in metadata', () => {
    const { cfg } = parse({ seed: 9, traces: { count: 5 }, metrics: { metric_count: 3 }, logs: { count: 7, correlate: true } });
    const again = parse(toYamlForm(cfg));
    expect(again.problems).toEqual([]);
    expect(again.cfg).toEqual(cfg);
  });
});
