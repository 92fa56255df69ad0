/**
 * The validated, normalized config. YAML keys are snake_case as in the Collector;
 * here they are camelCase, durations are milliseconds and sizes are bytes.
 * `src/config/load.ts` is the only producer of these types; each component's own config
 * type lives with its factory (src/receivers/, src/processors/, src/exporters/).
 */
import type { Signal } from '../otlp/signals.js';
import type { ExporterConfig } from '../exporters/exporter-config.js';
import type { ReceiverConfig } from '../receivers/receiver.js';
import type { ComponentConfig } from './component.js';

export interface SinkExtensionConfig {
  /** host:port, or undefined to not serve that protocol. */
  grpc?: string;
  http?: string;
  verify: boolean;
  report?: string;
}

export interface PipelineConfig {
  /** `traces/replay` */
  id: string;
  signal: Signal;
  receivers: string[];
  processors: string[];
  exporters: string[];
  workers: number;
}

export interface ServiceConfig {
  /** 0 = until stopped. */
  durationMs: number;
  shutdownTimeoutMs: number;
  /** Bytes the pipelines may need at most (an estimate, checked before start); undefined = the cgroup limit, else 80 % of RAM. */
  memoryLimit?: number;
  telemetry: {
    statsIntervalMs: number;
    /** host:port for /metrics and /healthz; undefined = disabled. */
    metricsAddress?: string;
    /** Serve the live dashboard on the metrics address; undefined = when a person watches (see prettyByDefault). */
    dashboard?: boolean;
    logLevel: string;
  };
  pipelines: Record<string, PipelineConfig>;
}

export interface ReplaydConfig {
  /** Absolute path of the file this came from, for messages. */
  file: string;
  receivers: Record<string, ReceiverConfig>;
  processors: Record<string, ComponentConfig>;
  exporters: Record<string, ExporterConfig>;
  extensions: { sink?: SinkExtensionConfig };
  service: ServiceConfig;
}

/**
 * Everything one pipeline worker needs, self-contained so it can cross a
 * worker_thread boundary (structured clone) and be compared for reload.
 */
export interface ResolvedPipeline {
  pipeline: PipelineConfig;
  receivers: ReceiverConfig[];
  processors: ComponentConfig[];
  exporters: ExporterConfig[];
}
