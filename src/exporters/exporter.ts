import type { ComponentFactory } from '../config/component.js';
import type { Logger } from '../log.js';
import type { ExporterConfig } from './exporter-config.js';
import { ConfigError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import type { RequestBody } from './gzip-body.js';

export const USER_AGENT = 'otel-replayd/0.1.0';

/** How one request ended, after all retries. Exactly one of sent / failed per request. */
export interface ExportOutcome {
  /** `sent`: the endpoint accepted the request (possibly with some items rejected). */
  status: 'sent' | 'failed';
  /** Items the endpoint rejected through partial_success (only when status is `sent`). */
  rejected: number;
  /** Retry attempts made (0 when the first attempt ended it). */
  retries: number;
  /** Request body bytes on the wire (after compression) of the accepted attempt; 0 unless sent. */
  wireBytes: number;
  /** Set when the endpoint accepted the request but its response body could not be decoded: why. */
  unparsed?: string;
  /** The endpoint's error or partial_success message; never contains header values. */
  message?: string;
  /** Stable code of the failure, e.g. `UNAVAILABLE`, `HTTP_503`, `ERR_EXPORT_ABORTED`. */
  code?: string;
}

/**
 * One configured OTLP endpoint. The pipeline loop owns concurrency (it keeps at most
 * `maxInFlight` requests per exporter); the exporter owns transport, retries and
 * response parsing. A retried request keeps its slot, so backpressure reaches the loop.
 */
export interface Exporter {
  readonly id: string;
  readonly encoding: 'proto' | 'json';
  readonly maxInFlight: number;
  /**
   * Sends one stamped request body. Never rejects. The body must not be touched after
   * the promise settles (it goes back to a pool), and must not be retained before.
   * Aborting `signal` stops retries: the outcome is `failed` with code ERR_EXPORT_ABORTED.
   * `onRetry` is called as each retry attempt starts, so callers can count retries while
   * a request is still being retried (the outcome's `retries` is the same count, at the end).
   */
  export(signal: Signal, body: RequestBody, abort?: AbortSignal, onRetry?: () => void): Promise<ExportOutcome>;
  close(): Promise<void>;
}

/** The limits every transport relies on, checked again here for configs built in code. */
export function checkExporterLimits(cfg: ExporterConfig): void {
  if (!(cfg.maxInFlight >= 1)) throw new ConfigError([{ path: `exporters.${cfg.id}.max_in_flight`, message: 'must be >= 1' }]);
  if (!(cfg.timeoutMs > 0)) throw new ConfigError([{ path: `exporters.${cfg.id}.timeout`, message: 'must be > 0' }]);
}

/** The exporter contract: a factory that parses its block and creates the Exporter in a pipeline worker. */
export interface ExporterFactory extends ComponentFactory<ExporterConfig> {
  /** Throws ConfigError for unreadable TLS files or bad endpoints. */
  create(cfg: ExporterConfig, log: Logger): Exporter;
}
