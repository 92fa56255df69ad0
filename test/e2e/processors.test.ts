import { describe, expect, it } from 'vitest';
import { capturesClosedAfterEach } from '../helpers/capture.js';
import { cliKilledAfterEach, tempDir, writeConfig } from '../helpers/daemon.js';
import { metricsRequest, writeTemplate, writeTracesTemplate } from '../helpers/templates.js';

const runCli = cliKilledAfterEach();
const capture = capturesClosedAfterEach();

const attr = (attrs: any[], key: string): any => attrs.find((a) => a.key === key)?.value;
const str = (attrs: any[], key: string): string | undefined => attr(attrs, key)?.stringValue;

describe('attributes, resource and cardinality, end to end', () => {
  it('sets and deletes attributes on every span and resource, and a sink sees exactly `values` distinct instances', async () => {
    const dir = tempDir();
    const tpl = writeTracesTemplate(dir, { traces: 5, spansPerTrace: 4 });
    const sink = await capture('traces');
    const cfg = writeConfig(dir, `
receivers:
  template/t: { traces: ${tpl}, loops: 60 }
processors:
  id_regen: {}
  timestamp: {}
  resource: { attributes: [ { key: loadtest.run, value: "\${env:RUN_ID}", action: upsert }, { key: service.name, action: update, value: checkout } ] }
  attributes: { actions: [ { key: http.route, action: delete }, { key: env, value: loadtest, action: insert }, { key: env, value: ignored, action: insert } ] }
  cardinality: { attribute: service.instance.id, values: 50 }
  batch_splitter: { max_items: 8 }
exporters:
  otlp_http/proto: { endpoint: ${sink.url} }
  otlp_http/json: { endpoint: ${sink.url}, encoding: json }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/t], processors: [id_regen, timestamp, resource, attributes, cardinality, batch_splitter], exporters: [otlp_http/proto, otlp_http/json] }
`);
    const d = runCli(['--config', cfg], { env: { RUN_ID: 'run-42' } });
    expect(await d.exited, d.stderr()).toBe(0);
    // 20 spans in requests of at most 8: 3 requests per cycle, 60 cycles, two encodings.
    expect(sink.requests).toHaveLength(2 * 3 * 60);
    for (const enc of ['proto', 'json'] as const) {
      const instances = new Set<string>();
      let spans = 0;
      for (const { request, arrivedNs } of sink.requests.filter((r) => r.encoding === enc)) {
        for (const rs of request.resourceSpans) {
          const ra = rs.resource.attributes;
          expect(str(ra, 'loadtest.run')).toBe('run-42');
          expect(str(ra, 'service.name')).toBe('checkout');
          const instance = str(ra, 'service.instance.id')!;
          expect(instance).toMatch(/^\d\d$/);
          instances.add(instance);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans++;
              // timestamp's default align: end — no span ends after it arrives
              expect(BigInt(s.endTimeUnixNano.toString())).toBeLessThanOrEqual(arrivedNs);
              expect(attr(s.attributes, 'http.route')).toBeUndefined();
              expect(str(s.attributes, 'env')).toBe('loadtest');
              expect(s.attributes.filter((a: any) => a.key === 'env')).toHaveLength(1);
            }
          }
        }
      }
      expect(spans).toBe(20 * 60);
      expect(instances.size).toBe(50);
    }
  });

  it('varies a data point attribute across workers: a backend sees the series × values', async () => {
    const dir = tempDir();
    const tpl = writeTemplate(dir, 'metrics', metricsRequest({ points: 3 }));
    const sink = await capture('metrics');
    const cfg = writeConfig(dir, `
receivers:
  template/m: { metrics: ${tpl}, loops: 6 }
processors:
  timestamp: { metrics_interval: 10ms }
  cardinality: { attribute: host.name, scope: item, values: 7 }
exporters:
  otlp_http: { endpoint: ${sink.url} }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    metrics: { receivers: [template/m], processors: [timestamp, cardinality], exporters: [otlp_http], workers: 2 }
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited, d.stderr()).toBe(0);
    expect(sink.requests).toHaveLength(12);
    const values = new Set<string>();
    for (const { request } of sink.requests) {
      const points = request.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints;
      expect(points).toHaveLength(3);
      // One value per send: the whole request is one cycle of one worker.
      expect(new Set(points.map((p: any) => str(p.attributes, 'host.name'))).size).toBe(1);
      values.add(str(points[0].attributes, 'host.name')!);
    }
    // 2 workers × 6 cycles = 12 sends cover all 7 values: a backend sees 3 series × 7.
    expect([...values].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });
});
