/**
 * One error hierarchy with stable codes, in the style of undici's errors: every error
 * class the project throws lives here. Codes never change once released: users match on
 * them in scripts and alerts, so they are one union, and a new code is added here.
 */
export type ErrorCode =
  // config and usage (exit 2)
  | 'ERR_CONFIG_INVALID' | 'ERR_CONFIG_NOT_FOUND' | 'ERR_CONFIG_YAML' | 'ERR_USAGE'
  // templates (exit 2)
  | 'ERR_TEMPLATE_INVALID' | 'ERR_TEMPLATE_NOT_FOUND' | 'ERR_TEMPLATE_EMPTY' | 'ERR_TEMPLATE_MALFORMED' | 'ERR_TEMPLATE_WRONG_SIGNAL'
  | 'ERR_TEMPLATE_JSON' | 'ERR_TEMPLATE_GZIP' | 'ERR_TEMPLATE_TIME' | 'ERR_TEMPLATE_BAD_ID' | 'ERR_TEMPLATE_ITEM_TOO_LARGE'
  | 'ERR_TEMPLATE_CACHE'
  | 'ERR_WIRE_MALFORMED' | 'ERR_GENERATOR_TOO_LARGE'
  // run reports given to `report merge` (exit 2)
  | 'ERR_REPORT_INVALID'
  // runtime
  | 'ERR_PIPELINE_CRASHED' | 'ERR_METRICS_LISTEN' | 'ERR_SINK_LISTEN' | 'ERR_OUTPUT_WRITE' | 'ERR_RATELIMIT_INVALID' | 'ERR_SINK_BAD_REQUEST' | 'ERR_SINK_VERIFIER' | 'ERR_SINK_HTTP2'
  // programming errors: a caller broke a contract
  | 'ERR_INVALID_ARG' | 'ERR_INVALID_STATE'
  // exports that failed on our side
  | 'ERR_EXPORT_ABORTED' | 'ERR_EXPORT_TIMEOUT' | 'ERR_EXPORT_TLS' | 'ERR_EXPORT_CONNECTION' | 'ERR_EXPORT_COMPRESS' | 'ERR_EXPORT_INTERNAL';

/** gRPC status names: an export the endpoint failed carries its status as the code. */
export type GrpcStatusName =
  | 'OK' | 'CANCELLED' | 'UNKNOWN' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED' | 'NOT_FOUND' | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION' | 'ABORTED' | 'OUT_OF_RANGE' | 'UNIMPLEMENTED'
  | 'INTERNAL' | 'UNAVAILABLE' | 'DATA_LOSS' | 'UNAUTHENTICATED';

/** What an export failure is coded as: ours, the endpoint's gRPC status, or its HTTP status (`HTTP_503`). */
export type ExportErrorCode = ErrorCode | GrpcStatusName | `HTTP_${number}`;

export class ReplaydError extends Error {
  readonly code: ExportErrorCode;
  constructor(code: ExportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplaydError';
    this.code = code;
  }
}

/** One problem in a config file, tied to the key path that caused it. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A config that failed validation: carries every problem found, not just the first. */
export class ConfigError extends ReplaydError {
  readonly problems: ConfigProblem[];
  readonly file: string | undefined;
  constructor(problems: ConfigProblem[], file?: string, code: ErrorCode = 'ERR_CONFIG_INVALID') {
    const head = file ? `invalid config ${file}` : 'invalid config';
    const lines = problems.map((p) => (p.path ? `  ${p.path}: ${p.message}` : `  ${p.message}`));
    super(code, `${head}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
}

/** A template that cannot be loaded or compiled; names the file and, where known, the byte offset. */
export class TemplateError extends ReplaydError {
  readonly file: string | undefined;
  readonly offset: number | undefined;
  constructor(message: string, opts: { file?: string; offset?: number; code?: ErrorCode; cause?: unknown } = {}) {
    const where = [opts.file, opts.offset === undefined ? undefined : `byte ${opts.offset}`].filter(Boolean).join(' at ');
    super(opts.code ?? 'ERR_TEMPLATE_INVALID', where ? `${where}: ${message}` : message, { cause: opts.cause });
    this.name = 'TemplateError';
    this.file = opts.file;
    this.offset = opts.offset;
  }
}

/** Malformed protobuf wire data; `offset` is the byte where reading failed. */
export class WireError extends ReplaydError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('ERR_WIRE_MALFORMED', `${message} at byte ${offset}`);
    this.name = 'WireError';
    this.offset = offset;
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends ReplaydError {
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A run report that cannot be read or merged; the message starts with its file. */
export class ReportError extends ReplaydError {
  readonly file: string;
  constructor(file: string, message: string) {
    super('ERR_REPORT_INVALID', `${file}: ${message}`);
    this.name = 'ReportError';
    this.file = file;
  }
}

/**
 * A server could not listen on its address. `setting` names where the address came from
 * (a config key such as `service.telemetry.metrics.address`, or a flag such as `--grpc`),
 * so the one-line message tells the user what to change.
 */
export class ListenError extends ReplaydError {
  readonly setting: string;
  readonly address: string;
  constructor(code: ErrorCode, setting: string, address: string, reason: string, options?: { cause?: unknown }) {
    super(code, `${setting} ${address}: ${reason}`, options);
    this.name = 'ListenError';
    this.setting = setting;
    this.address = address;
  }
}

/** An export attempt that failed; `retryable` says whether the retry policy may try again. */
export class ExportError extends ReplaydError {
  readonly retryable: boolean;
  /** Server-requested delay before the next attempt (RetryInfo, Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(code: ExportErrorCode, message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(code, message, { cause: opts.cause });
    this.name = 'ExportError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A request body the sink cannot read; the message names the byte offset or JSON key path. */
export class BadRequestError extends ReplaydError {
  /** The HTTP status that answers it where the sink answers before any handler (a malformed request head: 400 or 431). */
  readonly httpStatus: number;
  constructor(message: string, cause?: unknown, httpStatus = 400) {
    super('ERR_SINK_BAD_REQUEST', message, { cause });
    this.name = 'BadRequestError';
    this.httpStatus = httpStatus;
  }
}

/**
 * A peer broke HTTP/2 (RFC 9113) on a sink connection; `h2code` is the HTTP/2 error code
 * the sink answers with (GOAWAY for the connection, RST_STREAM for one stream).
 */
export class Http2Error extends ReplaydError {
  readonly h2code: number;
  constructor(h2code: number, message: string) {
    super('ERR_SINK_HTTP2', message);
    this.name = 'Http2Error';
    this.h2code = h2code;
  }
}

/** A JSON body whose shape is not an OTLP request; `path` names the offending key. */
export class JsonShapeError extends ReplaydError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('ERR_SINK_BAD_REQUEST', `${path}: ${message}`);
    this.name = 'JsonShapeError';
    this.path = path;
  }
}
