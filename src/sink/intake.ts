import { status as GrpcStatus } from '@grpc/grpc-js';
import { BadRequestError, JsonShapeError, TemplateError, UsageError, WireError } from '../errors.js';
import { jsonSyntaxError } from '../otlp/json-decode.js';
import { SIGNAL_NAMES, type Encoding, type Signal } from '../otlp/signals.js';
import { LoopWatch } from './client-deadline.js';
import { countJson, countJsonBy, countProto, countProtoBy } from './counter.js';
import { FaultInjector, type FaultOptions } from './faults.js';
import { TokenBucket } from '../processors/token-bucket.js';
import { VerifierThread, type VerificationReport } from './verifier-thread.js';
import type { StreamingCount } from './streaming-count.js';
import type { VerifyOptions } from './verify.js';
import type { Logger } from '../log.js';

/** Per-signal counters. Requests answered with an injected fault, rejected as malformed or late are not received events. */
export interface SignalCounts {
  /** Requests accepted (answered with success). */
  requests: number;
  /** Spans, data points or log records in accepted requests. */
  events: number;
  /** Body bytes of accepted requests (HTTP: as they arrived, before gunzip; gRPC: the message after decompression). */
  bytes: number;
  /** Requests answered with an injected failure; the client is expected to retry them. */
  faultedRequests: number;
  /** Requests rejected because their body could not be read: malformed, oversized or badly compressed. */
  invalidRequests: number;
  /**
   * Requests whose client had given up before the sink answered (gRPC deadline passed,
   * stream reset, connection closed): not received, since the client sends them again.
   */
  lateRequests: number;
  /** Requests refused because they would have exceeded --max-rate; the client is expected to retry them. */
  throttledRequests: number;
}

export type SinkCounts = Record<Signal, SignalCounts>;

/**
 * Where requests answered with success go besides the counters: the recorder. It takes a
 * request before the answer and may refuse it (answered as a busy or unconfigured
 * endpoint would); the hold it gives back is committed once the success is sent, or
 * released when the client gave up first (it sends the request again).
 */
export interface Tee {
  hold(signal: Signal, encoding: Encoding, body: Uint8Array, events: number): TeeHold | TeeRefusal;
}

export interface TeeHold {
  commit(): void;
  release(): void;
}

export interface TeeRefusal {
  /**
   * `unavailable`: try again later (gRPC UNAVAILABLE, HTTP 503); `unimplemented`: this
   * signal is not served (UNIMPLEMENTED, 404); `invalid`: the request is malformed
   * (INVALID_ARGUMENT, 400).
   */
  refused: 'unavailable' | 'unimplemented' | 'invalid';
  message: string;
}

/** How each transport answers a refusal. */
export const REFUSAL_STATUS: Record<TeeRefusal['refused'], { grpc: number; http: number }> = {
  unavailable: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  unimplemented: { grpc: GrpcStatus.UNIMPLEMENTED, http: 404 },
  invalid: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
};

const NO_HOLD: TeeHold = { commit: () => {}, release: () => {} };

/** Events per value of the `countBy` resource attribute, per signal. */
export type CountsBy = Record<Signal, Record<string, number>>;


export function emptyCounts(): SinkCounts {
  const counts = {} as SinkCounts;
  for (const s of SIGNAL_NAMES) counts[s] = { requests: 0, events: 0, bytes: 0, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 };
  return counts;
}

/** The --max-rate bucket holds this much of the rate: enough for scheduling jitter, too little to hide a sender that is over. */
const LIMIT_BURST_S = 0.1;
/** How many seconds of the arrival timeline are kept. */
const TIMELINE_S = 3600;

/** Events received in one second (ms since the Unix epoch / 1000, floored) of arrival. */
export interface SecondCount {
  second: number;
  events: number;
}

/**
 * What both transports share: the fault decision, counting, and optional verification.
 * A transport calls `shouldFail` first (an overloaded backend rejects before parsing),
 * then `read`, which throws BadRequestError for bodies it cannot read, then `throttle`
 * (the --max-rate limit needs the event count), then `hold` (the tee may refuse the
 * request), and once it is about to answer with success, `count` — or `late` when the
 * client has given up by then (the hold is then released, not committed). Only counted
 * requests are verified: a late one is sent again and would look duplicated.
 */
export class Intake {
  readonly faults: FaultInjector;
  readonly maxRate: number | undefined;
  readonly loop = new LoopWatch();
  private readonly verifier: VerifierThread | undefined;
  private readonly tee: Tee | undefined;
  private readonly limit: TokenBucket | undefined;
  private readonly state = emptyCounts();
  private readonly countBy: string | undefined;
  private readonly by = new Map<Signal, Map<string, number>>(SIGNAL_NAMES.map((s) => [s, new Map()]));
  /** Events per second of arrival, oldest first (Map keeps insertion order). */
  private readonly perSecond = new Map<number, number>();

  constructor(opts: { verify?: boolean | VerifyOptions; faults?: FaultOptions; countBy?: string; maxRate?: number; log?: Logger; tee?: Tee } = {}) {
    this.faults = new FaultInjector(opts.faults);
    this.countBy = opts.countBy;
    this.verifier = opts.verify ? new VerifierThread(opts.verify === true ? {} : opts.verify, opts.log) : undefined;
    this.tee = opts.tee;
    if (opts.maxRate !== undefined) {
      if (!(opts.maxRate > 0) || !Number.isFinite(opts.maxRate)) throw new UsageError(`max rate must be a positive number of events per second, got ${opts.maxRate}`);
      this.maxRate = opts.maxRate;
      // Starts full, as a backend's limiter does; it grows to the largest request, which could never pass otherwise.
      this.limit = new TokenBucket({ eventsPerSecond: opts.maxRate, burst: opts.maxRate * LIMIT_BURST_S, full: true });
    }
  }

  /**
   * Whether anything reads a request's body after it is counted (the verifier, the tee,
   * --count-by). When nothing does, a transport may count a body as it arrives and keep
   * none of it (StreamingCount.withoutCopy), and hand `count` an empty body.
   */
  get keepsBodies(): boolean {
    return this.verifier !== undefined || this.tee !== undefined || this.countBy !== undefined;
  }

  /**
   * With --max-rate: takes `events` from the limit and returns undefined, or, when they
   * would exceed it, counts the request as throttled and returns the ms until they fit
   * (the delay the answer asks the client to wait).
   */
  throttle(signal: Signal, events: number): number | undefined {
    const waitMs = this.limit?.tryTake(events) ?? 0;
    if (waitMs === 0) return undefined;
    this.state[signal].throttledRequests++;
    return waitMs;
  }

  /** Decides whether this request gets the injected failure; if so it is counted as faulted. */
  shouldFail(signal: Signal): boolean {
    if (!this.faults.shouldFail()) return false;
    this.state[signal].faultedRequests++;
    return true;
  }

  /**
   * Runs `answer` when a success may be decided: after the injected delay, and once input
   * buffered during a stall (where a client's reset or hang-up may wait) has been read.
   */
  beforeSuccess(answer: () => void): void {
    this.faults.afterDelay(() => this.loop.afterCatchUp(answer));
  }

  /**
   * Reads one request body and returns its event count; a body it cannot read is counted
   * as invalid and throws. `counted`: the body was counted as it arrived (proto only).
   */
  read(signal: Signal, body: Uint8Array, encoding: Encoding, counted?: StreamingCount): number {
    try {
      if (counted) return counted.finish();
      return encoding === 'proto' ? countProto(signal, body) : countJson(signal, parseJson(body));
    } catch (err) {
      this.state[signal].invalidRequests++;
      throw new BadRequestError(describe(err), err);
    }
  }

  /**
   * Hands a request that was read to the tee before it is answered (see Tee); a refused
   * one is counted as faulted, since its client is expected to retry or give up.
   */
  hold(signal: Signal, encoding: Encoding, body: Uint8Array, events: number): TeeHold | TeeRefusal {
    if (!this.tee) return NO_HOLD;
    const held = this.tee.hold(signal, encoding, body, events);
    if ('refused' in held) this.state[signal].faultedRequests++;
    return held;
  }

  /**
   * Counts a request that was read and is being answered with success, and has it
   * verified. Takes `body` over (see VerifierThread.submit); `recycle` gets it back.
   */
  count(signal: Signal, encoding: Encoding, events: number, wireBytes: number, arrivedAt: number, body: Buffer, recycle?: (body: Buffer) => void): void {
    const c = this.state[signal];
    c.requests++;
    c.events += events;
    c.bytes += wireBytes;
    if (this.countBy !== undefined) this.countByValue(signal, encoding, body);
    this.addToTimeline(arrivedAt, events);
    if (this.verifier) this.verifier.submit(signal, encoding, body, recycle);
    else recycle?.(body);
  }

  /** What verification found so far (every request counted before this call included); undefined without --verify. */
  verification(): Promise<VerificationReport | undefined> {
    return this.verifier ? this.verifier.report() : Promise.resolve(undefined);
  }

  /** Read once `count` decided the request is received; the body was read before, so it parses. */
  private countByValue(signal: Signal, encoding: Encoding, body: Uint8Array): void {
    const into = this.by.get(signal)!;
    if (encoding === 'proto') countProtoBy(signal, body, this.countBy!, into);
    else countJsonBy(signal, parseJson(body), this.countBy!, into);
  }

  /** Events per value of the countBy resource attribute ('' = resources without it); empty without countBy. */
  countsBy(): CountsBy {
    const out = {} as CountsBy;
    for (const [signal, m] of this.by) out[signal] = Object.fromEntries(m);
    return out;
  }

  /** Counts a request whose client gave up before it was answered; it is not received. */
  late(signal: Signal): void {
    this.state[signal].lateRequests++;
  }

  /** Counts a request rejected before its body could be read (bad gzip, oversized). */
  rejectInvalid(signal: Signal): void {
    this.state[signal].invalidRequests++;
  }

  counts(): SinkCounts {
    return structuredClone(this.state);
  }

  /** Events received per second, by when they arrived (not when they were answered), for the last hour. */
  timeline(): SecondCount[] {
    return [...this.perSecond].map(([second, events]) => ({ second, events })).sort((a, b) => a.second - b.second);
  }

  /** `arrivedAt`: performance.now() when the request arrived (LoopWatch.arrival()). */
  private addToTimeline(arrivedAt: number, events: number): void {
    const second = Math.floor((performance.timeOrigin + arrivedAt) / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + events);
    // Seconds are added as they arrive, so the first key is the oldest.
    if (this.perSecond.size > TIMELINE_S) this.perSecond.delete(this.perSecond.keys().next().value!);
  }

  /** Stops watching the loop and ends verification; `verification()` keeps answering with the final report. */
  async close(): Promise<void> {
    this.loop.close();
    await this.verifier?.close().catch(() => {});
  }
}

function parseJson(body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(text, err);
  }
}

function describe(err: unknown): string {
  if (err instanceof WireError) return `malformed protobuf: ${err.message}`;
  if (err instanceof JsonShapeError) return `not an OTLP request: ${err.message}`;
  if (err instanceof TemplateError) return `malformed OTLP/JSON: ${err.message}`;
  // protobufjs decode errors (verify mode) carry the offset in their message.
  return `malformed request: ${err instanceof Error ? err.message : String(err)}`;
}
