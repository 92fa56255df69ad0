/** The exporter registry: adding an exporter is one module and one line here. */
import { Registry } from '../config/component.js';
import type { Logger } from '../log.js';
import type { Exporter, ExporterFactory } from './exporter.js';
import type { ExporterConfig } from './exporter-config.js';
import { otlpGrpcExporter } from './otlp-grpc.js';
import { otlpHttpExporter } from './otlp-http.js';

export type { ExportOutcome, Exporter } from './exporter.js';

export const EXPORTERS = new Registry<ExporterFactory>('exporter', [otlpGrpcExporter, otlpHttpExporter]);

/** The exporter for a validated config, from its registered factory. */
export function createExporter(cfg: ExporterConfig, log: Logger): Exporter {
  return EXPORTERS.of(cfg).create(cfg, log);
}
