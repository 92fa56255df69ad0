/**
 * One error hierarchy with stable codes, in the style of undici's errors.
 * Codes never change once released: users match on them in scripts and alerts.
 */
export class ReplaydError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
  constructor(problems: ConfigProblem[], file?: string, code = 'ERR_CONFIG_INVALID') {
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
  constructor(message: string, opts: { file?: string; offset?: number; code?: string; cause?: unknown } = {}) {
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

/**
 * A server could not listen on its address. `setting` names where the address came from
 * (a config key such as `service.telemetry.metrics.address`, or a flag such as `--grpc`),
 * so the one-line message tells the user what to change.
 */
export class ListenError extends ReplaydError {
  readonly setting: string;
  readonly address: string;
  constructor(code: string, setting: string, address: string, reason: string, options?: { cause?: unknown }) {
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
  constructor(code: string, message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(code, message, { cause: opts.cause });
    this.name = 'ExportError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
