/** The three OTLP signals and the names each one goes by on the wire. */
export type Signal = 'traces' | 'metrics' | 'logs';

/** How a request body is encoded: protobuf or OTLP/JSON. */
export type Encoding = 'proto' | 'json';

export const SIGNAL_NAMES: readonly Signal[] = ['traces', 'metrics', 'logs'];

export interface SignalInfo {
  /** Fully qualified protobuf name of the Export*ServiceRequest. */
  request: string;
  /** Fully qualified protobuf name of the Export*ServiceResponse. */
  response: string;
  /** gRPC method path. */
  grpcPath: string;
  /** OTLP/HTTP path appended to a base endpoint. */
  httpPath: string;
  /** Field of the partial_success message counting rejected items (proto field 1). */
  rejectedField: string;
  /** What one event is called in stats: spans, data points or log records. */
  unit: 'spans' | 'points' | 'logs';
  /** The request's list of resources, as protobufjs and OTLP/JSON name it. */
  resources: 'resourceSpans' | 'resourceMetrics' | 'resourceLogs';
}

/** A Metric's data fields (oneof), as protobufjs and OTLP/JSON name them. */
export const METRIC_DATA_KEYS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export const SIGNALS: Record<Signal, SignalInfo> = {
  traces: {
    request: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    response: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
    grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    httpPath: '/v1/traces',
    rejectedField: 'rejectedSpans',
    unit: 'spans',
    resources: 'resourceSpans',
  },
  metrics: {
    request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
    response: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
    grpcPath: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    httpPath: '/v1/metrics',
    rejectedField: 'rejectedDataPoints',
    unit: 'points',
    resources: 'resourceMetrics',
  },
  logs: {
    request: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
    response: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
    grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    httpPath: '/v1/logs',
    rejectedField: 'rejectedLogRecords',
    unit: 'logs',
    resources: 'resourceLogs',
  },
};

/** What a signal's events are called in messages. */
export const EVENT_NAMES: Record<Signal, string> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

export function isSignal(s: unknown): s is Signal {
  return s === 'traces' || s === 'metrics' || s === 'logs';
}
