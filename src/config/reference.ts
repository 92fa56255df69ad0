/**
 * Every config key with its default and meaning, by YAML location: the source the
 * README's config reference is generated from (`npm run reference`). The parsers read
 * these same tables, and the component sections come from the registries.
 */
import { SENDING_QUEUE_KEYS } from '../exporters/collector-keys.js';
import { COMPRESSION_PARAMS_KEYS, KEEPALIVE_KEYS, RETRY_KEYS } from '../exporters/exporter-config.js';
import { TLS_KEYS } from '../exporters/tls-config.js';
import { EXPORTERS } from '../exporters/index.js';
import { ACTION_KEYS } from '../processors/action-list.js';
import { LATE_KEYS } from '../processors/delivery.js';
import { PROCESSORS } from '../processors/index.js';
import { STAGE_KEYS } from '../processors/ratelimit.js';
import { RECEIVERS } from '../receivers/index.js';
import type { ComponentConfig, ComponentFactory, Registry } from './component.js';
import { RECORDER_KEYS, SINK_KEYS } from './extensions.js';
import { TOP_LEVEL_KEYS } from './load.js';
import { PIPELINE_KEYS } from './pipelines.js';
import type { KeyTable } from './schema.js';
import { CAPACITY_KEYS, REPLICAS_KEYS, SERVICE_KEYS, TELEMETRY_KEYS, TELEMETRY_LOGS_KEYS, TELEMETRY_METRICS_KEYS } from './service.js';

export interface ReferenceSection {
  /** Heading: the YAML location, e.g. `processors.ratelimit`. */
  title: string;
  /** What the component does, for component sections. */
  doc?: string;
  keys: KeyTable;
}

function components(kind: string, registry: Registry<ComponentFactory<ComponentConfig>>): ReferenceSection[] {
  return registry.factories.map((f) => ({
    title: `${kind}.${f.type}${f.aliases.length > 0 ? ` (alias ${f.aliases.join(', ')})` : ''}`,
    doc: f.doc,
    keys: f.keys,
  }));
}

export const CONFIG_REFERENCE: readonly ReferenceSection[] = [
  { title: '(top level)', keys: TOP_LEVEL_KEYS },
  ...components('receivers', RECEIVERS),
  ...components('processors', PROCESSORS),
  { title: 'processors.attributes.actions[], processors.resource.attributes[]', keys: ACTION_KEYS },
  { title: 'processors.ratelimit.stages[]', keys: STAGE_KEYS },
  { title: 'processors.delivery.late_spans, processors.delivery.late_root', keys: LATE_KEYS },
  ...components('exporters', EXPORTERS),
  { title: 'exporters.*.tls', keys: TLS_KEYS },
  { title: 'exporters.*.compression_params', keys: COMPRESSION_PARAMS_KEYS },
  { title: 'exporters.*.retry_on_failure', keys: RETRY_KEYS },
  { title: 'exporters.*.sending_queue', keys: SENDING_QUEUE_KEYS },
  { title: 'exporters.otlp_grpc.keepalive', keys: KEEPALIVE_KEYS },
  { title: 'extensions.sink', keys: SINK_KEYS },
  { title: 'extensions.recorder', keys: RECORDER_KEYS },
  { title: 'service', keys: SERVICE_KEYS },
  { title: 'service.replicas', keys: REPLICAS_KEYS },
  { title: 'service.telemetry', keys: TELEMETRY_KEYS },
  { title: 'service.telemetry.metrics', keys: TELEMETRY_METRICS_KEYS },
  { title: 'service.telemetry.logs', keys: TELEMETRY_LOGS_KEYS },
  { title: 'service.capacity', keys: CAPACITY_KEYS },
  { title: 'service.pipelines.<signal>[/name]', keys: PIPELINE_KEYS },
];

/** The README's reference, as Markdown: one table per section. */
export function referenceMarkdown(): string {
  const out: string[] = [];
  for (const s of CONFIG_REFERENCE) {
    out.push(`#### \`${s.title}\``, '');
    if (s.doc) out.push(s.doc, '');
    if (Object.keys(s.keys).length === 0) {
      out.push('No keys.', '');
      continue;
    }
    out.push('| key | default | meaning |', '| --- | --- | --- |');
    for (const [key, spec] of Object.entries(s.keys)) {
      const def = spec.default === undefined ? '—' : `\`${JSON.stringify(spec.default)}\``;
      out.push(`| \`${key}\` | ${def} | ${spec.required ? '**Required.** ' : ''}${spec.doc.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
