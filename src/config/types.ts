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
import type { EnvValues } from './env.js';

/** Which replica of a scaled-out run this process is (src/config/replicas.ts reads it). */
export interface ReplicaIdentity {
  index: number;
  count: number;
  /** Names every replica of one run in stats, summaries and reports. */
  runId: string;
  /** Where the index came from, for messages and `validate`. */
  from: string;
}

/** `service.start_at`: ms since the epoch, or the next full minute after the daemon started. */
export type StartAt = number | 'next_minute';

export interface SinkExtensionConfig {
  /** host:port, or undefined to not serve that protocol. */
  grpc?: string;
  http?: string;
  verify: boolean;
  /** Fraction of traces verified (VerifyOptions.sample); unset: all. */
  verifySample?: number;
  /** events/s above which the sink answers RESOURCE_EXHAUSTED / 429. */
  maxRate?: number;
  report?: string;
}

/** `extensions.recorder`: `otel-replayd record` inside the daemon. */
export interface RecorderExtensionConfig {
  grpc?: string;
  http?: string;
  /** Absolute folder. */
  out: string;
  /** 0 = until the daemon stops. */
  durationMs: number;
  /** Bytes; Infinity = no limit. */
  maxSize: number;
  signals: Signal[];
  /** Key patterns, defaults included unless `default_redact: false`. */
  redact: string[];
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

/** `service.capacity`: how `otel-replayd capacity` searches (rates in events/s, times in ms). */
export interface CapacitySettings {
  startRate: number;
  /** 0 = no limit. */
  maxRate: number;
  growth: number;
  precision: number;
  warmupMs: number;
  windowMs: number;
  minSentRatio: number;
  maxErrorRatio: number;
  maxP99Ms: number;
  confirmFailures: number;
  maxSteps: number;
}

export interface ServiceConfig {
  /** 0 = until stopped. */
  durationMs: number;
  shutdownTimeoutMs: number;
  /** Exit 0 although requests failed permanently (otherwise such a run exits 1). */
  allowExportFailures: boolean;
  /** Undefined = send as soon as the pipelines are loaded. */
  startAt?: StartAt;
  replicas: ReplicaIdentity;
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
  /** Only when the file has `service.capacity`; `capacityDefaults()` otherwise. */
  capacity?: CapacitySettings;
}

export interface ReplaydConfig {
  /** Absolute path of the file this came from, for messages. */
  file: string;
  receivers: Record<string, ReceiverConfig>;
  processors: Record<string, ComponentConfig>;
  exporters: Record<string, ExporterConfig>;
  extensions: { sink?: SinkExtensionConfig; recorder?: RecorderExtensionConfig };
  service: ServiceConfig;
  /** What came from ${env:...}, so descriptions can show it as written, never its value (API keys). */
  fromEnv?: EnvValues;
}

/**
 * Everything one pipeline worker needs, self-contained so it can cross a
 * worker_thread boundary (structured clone) and be compared for reload.
 */
export interface ResolvedPipeline {
  pipeline: PipelineConfig;
  /** This process's place in a scaled-out run: rates are split over `count`, ids keyed by `index`. */
  replica: { index: number; count: number };
  receivers: ReceiverConfig[];
  processors: ComponentConfig[];
  exporters: ExporterConfig[];
}
