import type { ExporterConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Exporter } from './exporter.js';
import { OtlpGrpcExporter } from './otlp-grpc.js';
import { OtlpHttpExporter } from './otlp-http.js';

export type { ExportOutcome, Exporter } from './exporter.js';

/** Builds the exporter for a validated config; throws ConfigError for unreadable TLS files or bad endpoints. */
export function createExporter(cfg: ExporterConfig, log: Logger): Exporter {
  switch (cfg.type) {
    case 'otlp_grpc':
      return new OtlpGrpcExporter(cfg, log);
    case 'otlp_http':
      return new OtlpHttpExporter(cfg, log);
    default:
      throw new TypeError(`unknown exporter type ${(cfg as { type: string }).type}`);
  }
}
