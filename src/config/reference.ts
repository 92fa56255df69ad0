/**
 * Every config key with its default and meaning, by YAML location: the source the
 * README's config reference is generated from. The parsers read these same tables.
 */
import { EXPORTER_KEYS, RETRY_KEYS, TLS_KEYS } from './exporters.js';
import { SINK_KEYS } from './extensions.js';
import { TOP_LEVEL_KEYS } from './load.js';
import { PIPELINE_KEYS } from './pipelines.js';
import { PROCESSOR_KEYS } from './processors.js';
import { GENERATOR_RECEIVER_KEYS, TEMPLATE_RECEIVER_KEYS } from './receivers.js';
import type { KeyTable } from './schema.js';
import { SERVICE_KEYS, TELEMETRY_KEYS, TELEMETRY_LOGS_KEYS, TELEMETRY_METRICS_KEYS } from './service.js';

export const CONFIG_REFERENCE: Readonly<Record<string, KeyTable>> = {
  '(top level)': TOP_LEVEL_KEYS,
  'receivers.template': TEMPLATE_RECEIVER_KEYS,
  'receivers.generator (plus the generator\'s own keys)': GENERATOR_RECEIVER_KEYS,
  'processors.id_regen': PROCESSOR_KEYS.id_regen,
  'processors.timestamp': PROCESSOR_KEYS.timestamp,
  'processors.jitter': PROCESSOR_KEYS.jitter,
  'processors.batch_splitter': PROCESSOR_KEYS.batch_splitter,
  'processors.ratelimit': PROCESSOR_KEYS.ratelimit,
  'exporters.otlp_grpc (alias otlp)': EXPORTER_KEYS.otlp_grpc,
  'exporters.otlp_http (alias otlphttp)': EXPORTER_KEYS.otlp_http,
  'exporters.*.tls': TLS_KEYS,
  'exporters.*.retry_on_failure': RETRY_KEYS,
  'extensions.sink': SINK_KEYS,
  service: SERVICE_KEYS,
  'service.telemetry': TELEMETRY_KEYS,
  'service.telemetry.metrics': TELEMETRY_METRICS_KEYS,
  'service.telemetry.logs': TELEMETRY_LOGS_KEYS,
  'service.pipelines.<signal>[/name]': PIPELINE_KEYS,
};
