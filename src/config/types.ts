/**
 * The validated, normalized config. YAML keys are snake_case as in the Collector;
 * here they are camelCase, durations are milliseconds and sizes are bytes.
 * `src/config/load.ts` is the only producer of these types.
 */
import type { Signal } from '../otlp/signals.js';
import type { GeneratorConfig } from '../generator/config.js';

export interface TemplateReceiverConfig {
  type: 'template';
  id: string;
  /** Absolute paths (resolved against the config file's folder). */
  traces?: string;
  metrics?: string;
  logs?: string;
  /** Replay cycles; 0 = forever. */
  loops: number;
}

export interface GeneratorReceiverConfig {
  type: 'generator';
  id: string;
  generator: GeneratorConfig;
  /** Templates generated and kept in the worker. */
  pool: number;
  /** Regenerate part of the pool every `refresh` replay cycles (0 = never). */
  refresh: number;
  loops: number;
}

export type ReceiverConfig = TemplateReceiverConfig | GeneratorReceiverConfig;

export interface IdRegenConfig { type: 'id_regen'; id: string }
export interface TimestampConfig { type: 'timestamp'; id: string; backdateMs: number }
export interface JitterConfig { type: 'jitter'; id: string; maxMs: number }
export interface BatchSplitterConfig { type: 'batch_splitter'; id: string; maxItems: number; maxBytes: number }
export interface RatelimitConfig {
  type: 'ratelimit';
  id: string;
  eventsPerSecond: number;
  /** Undefined = 2× rate, but never below the largest frame (decided at pipeline start). */
  burst?: number;
}

export type ProcessorConfig = IdRegenConfig | TimestampConfig | JitterConfig | BatchSplitterConfig | RatelimitConfig;

export interface TlsConfig {
  insecure: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify: boolean;
  serverNameOverride?: string;
}

export interface RetryConfig {
  enabled: boolean;
  initialIntervalMs: number;
  maxIntervalMs: number;
  maxElapsedTimeMs: number;
  multiplier: number;
  randomizationFactor: number;
}

export interface ExporterConfig {
  type: 'otlp_grpc' | 'otlp_http';
  id: string;
  /** gRPC: host:port (a scheme is accepted and stripped); HTTP: base URL. */
  endpoint: string;
  /** HTTP only: full URLs that replace endpoint + /v1/<signal>. */
  signalEndpoints: Partial<Record<Signal, string>>;
  /** HTTP only; gRPC is always proto. */
  encoding: 'proto' | 'json';
  tls: TlsConfig;
  /** Values are secrets (API keys): never log them. */
  headers: Record<string, string>;
  compression: 'none' | 'gzip';
  timeoutMs: number;
  maxInFlight: number;
  retryOnFailure: RetryConfig;
}

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
    logLevel: string;
  };
  pipelines: Record<string, PipelineConfig>;
}

export interface ReplaydConfig {
  /** Absolute path of the file this came from, for messages. */
  file: string;
  receivers: Record<string, ReceiverConfig>;
  processors: Record<string, ProcessorConfig>;
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
  processors: ProcessorConfig[];
  exporters: ExporterConfig[];
}
