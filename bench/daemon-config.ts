/**
 * The daemon configs the benches run: one traces pipeline from a template receiver through
 * processors to one exporter, for a fixed time. Each bench says only what differs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What most end-to-end runs replay with: fresh ids and times, jitter, and ~3 MiB requests. */
export const REPLAY_PROCESSORS = ['id_regen: {}', 'timestamp: {}', 'jitter: { max: 10ms }', 'batch_splitter: { max_items: 1000000, max_bytes: 3MiB }'];

export interface BenchPipeline {
  /** The config file's name in `dir`, without `.yaml`. */
  name: string;
  template: string;
  /** More keys of the template receiver, such as `stream: true`. */
  receiver?: string;
  /** In pipeline order, each `type: { settings }`; default REPLAY_PROCESSORS. */
  processors?: string[];
  /** One exporter, `type: { settings }`. */
  exporter: string;
  /** The run's duration, in seconds. */
  seconds: number;
  /** `service.telemetry`'s keys; default: stats every 5 s and no metrics server. */
  telemetry?: string;
}

/** Writes the config to `dir` and returns its path. */
export function writeDaemonConfig(dir: string, p: BenchPipeline): string {
  const processors = p.processors ?? REPLAY_PROCESSORS;
  const type = (component: string) => component.slice(0, component.indexOf(':'));
  const file = join(dir, `${p.name}.yaml`);
  writeFileSync(file, `
receivers:
  template/bench: { traces: ${p.template}${p.receiver ? `, ${p.receiver}` : ''} }
processors:
${processors.map((c) => `  ${c}`).join('\n')}
exporters:
  ${p.exporter}
service:
  duration: ${p.seconds}s
  telemetry: { ${p.telemetry ?? 'stats_interval: 5s, metrics: { address: none }'} }
  pipelines:
    traces/bench: { receivers: [template/bench], processors: [${processors.map(type).join(', ')}], exporters: [${type(p.exporter)}] }
`);
  return file;
}
