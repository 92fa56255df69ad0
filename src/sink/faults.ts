import protobuf from 'protobufjs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UsageError } from '../errors.js';
import { mulberry32 } from '../mulberry32.js';

/** The failure an injected fault answers with; gRPC names and HTTP codes map onto each other. */
export type FailCode = 'unavailable' | 'resource_exhausted' | 'invalid_argument' | '429' | '503';

export const FAIL_CODES: readonly FailCode[] = ['unavailable', 'resource_exhausted', 'invalid_argument', '429', '503'];

export interface FaultOptions {
  /** Fraction of requests (0..1) answered with `failCode` instead of being accepted. */
  failRate?: number;
  /** Default `unavailable`. */
  failCode?: FailCode;
  /** Sent with failures: RetryInfo on gRPC, `Retry-After` (whole seconds, rounded up) on HTTP. */
  retryAfterMs?: number;
  /** Every response (success or failure) waits this long first. */
  delayMs?: number;
  /** PRNG seed so a run's failure pattern repeats; random when unset. */
  seed?: number;
}

const GRPC_CODE: Record<FailCode, GrpcStatus> = {
  unavailable: GrpcStatus.UNAVAILABLE,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  '429': GrpcStatus.RESOURCE_EXHAUSTED,
  '503': GrpcStatus.UNAVAILABLE,
};

const HTTP_CODE: Record<FailCode, number> = {
  unavailable: 503,
  resource_exhausted: 429,
  invalid_argument: 400,
  '429': 429,
  '503': 503,
};

/**
 * Decides which requests fail. One PRNG draw per request, in arrival order across both
 * transports, so a seeded run over one connection fails the same requests every time.
 */
export class FaultInjector {
  readonly failRate: number;
  readonly failCode: FailCode;
  readonly retryAfterMs: number | undefined;
  readonly delayMs: number;
  readonly seed: number;
  private readonly next: () => number;

  constructor(opts: FaultOptions = {}) {
    const rate = opts.failRate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new UsageError(`fail rate must be between 0 and 1, got ${opts.failRate}`);
    const code = opts.failCode ?? 'unavailable';
    if (!FAIL_CODES.includes(code)) throw new UsageError(`fail code must be one of ${FAIL_CODES.join(', ')}, got ${code}`);
    for (const [name, v] of [['retry after', opts.retryAfterMs], ['delay', opts.delayMs]] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`${name} must be a non-negative duration, got ${v}`);
    }
    if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new UsageError(`seed must be an integer, got ${opts.seed}`);
    this.failRate = rate;
    this.failCode = code;
    this.retryAfterMs = opts.retryAfterMs;
    this.delayMs = opts.delayMs ?? 0;
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.next = mulberry32(this.seed);
  }

  /** True when this request must be answered with the injected failure. */
  shouldFail(): boolean {
    if (this.failRate === 0) return false;
    return this.next() < this.failRate;
  }

  get grpcCode(): GrpcStatus {
    return GRPC_CODE[this.failCode];
  }

  get httpStatus(): number {
    return HTTP_CODE[this.failCode];
  }

  /** Runs `answer` once the configured response delay has passed (at once without one). */
  afterDelay(answer: () => void): void {
    if (this.delayMs > 0) setTimeout(answer, this.delayMs);
    else answer();
  }

  /** `Retry-After` header value in whole seconds, or undefined when not configured. */
  get retryAfterSeconds(): number | undefined {
    return this.retryAfterMs === undefined ? undefined : Math.ceil(this.retryAfterMs / 1000);
  }

  describe(): object {
    return {
      failRate: this.failRate, failCode: this.failCode, retryAfterMs: this.retryAfterMs ?? null,
      delayMs: this.delayMs, seed: this.seed,
    };
  }
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * Encodes google.rpc.Status {code 1, message 2, details 3: Any {type_url 1, value 2}},
 * with a RetryInfo {retry_delay 1: Duration {seconds 1, nanos 2}} detail when a delay is
 * given. This is the `grpc-status-details-bin` trailer and the OTLP/HTTP error body.
 */
export function encodeStatus(code: number, message: string, retryAfterMs?: number): Uint8Array {
  const w = protobuf.Writer.create();
  if (code !== 0) w.uint32((1 << 3) | 0).int32(code);
  if (message) w.uint32((2 << 3) | 2).string(message);
  if (retryAfterMs !== undefined) {
    const seconds = Math.floor(retryAfterMs / 1000);
    const nanos = Math.round((retryAfterMs - seconds * 1000) * 1e6);
    const duration = protobuf.Writer.create();
    if (seconds) duration.uint32((1 << 3) | 0).int64(seconds);
    if (nanos) duration.uint32((2 << 3) | 0).int32(nanos);
    const retryInfo = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(duration.finish()).finish();
    const any = protobuf.Writer.create()
      .uint32((1 << 3) | 2).string(RETRY_INFO_TYPE_URL)
      .uint32((2 << 3) | 2).bytes(retryInfo)
      .finish();
    w.uint32((3 << 3) | 2).bytes(any);
  }
  return w.finish();
}
