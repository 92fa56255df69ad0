import { BadRequestError, JsonShapeError, TemplateError, WireError } from '../errors.js';
import { decodeOtlpJsonValue, jsonSyntaxError } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import { SIGNAL_NAMES, type Encoding, type Signal } from '../otlp/signals.js';
import { countJson, countProto } from './counter.js';
import { FaultInjector, type FaultOptions } from './faults.js';
import { Verifier, type VerifyOptions } from './verify.js';

/** Per-signal counters. Requests answered with an injected fault or rejected as malformed are not received events. */
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
}

export type SinkCounts = Record<Signal, SignalCounts>;


export function emptyCounts(): SinkCounts {
  const counts = {} as SinkCounts;
  for (const s of SIGNAL_NAMES) counts[s] = { requests: 0, events: 0, bytes: 0, faultedRequests: 0, invalidRequests: 0 };
  return counts;
}

/**
 * What both transports share: the fault decision, counting, and optional verification.
 * A transport calls `shouldFail` first (an overloaded backend rejects before parsing),
 * then `accept`, which throws BadRequestError for bodies it cannot read.
 */
export class Intake {
  readonly faults: FaultInjector;
  readonly verifier: Verifier | undefined;
  private readonly state = emptyCounts();

  constructor(opts: { verify?: boolean | VerifyOptions; faults?: FaultOptions } = {}) {
    this.faults = new FaultInjector(opts.faults);
    this.verifier = opts.verify ? new Verifier(opts.verify === true ? {} : opts.verify) : undefined;
  }

  /** Decides whether this request gets the injected failure; if so it is counted as faulted. */
  shouldFail(signal: Signal): boolean {
    if (!this.faults.shouldFail()) return false;
    this.state[signal].faultedRequests++;
    return true;
  }

  /** Counts (and verifies) one request body; returns its event count. */
  accept(signal: Signal, body: Uint8Array, encoding: Encoding, wireBytes: number): number {
    let events: number;
    try {
      events = encoding === 'proto' ? this.acceptProto(signal, body) : this.acceptJson(signal, body);
    } catch (err) {
      this.state[signal].invalidRequests++;
      throw new BadRequestError(describe(err), err);
    }
    const c = this.state[signal];
    c.requests++;
    c.events += events;
    c.bytes += wireBytes;
    return events;
  }

  /** Counts a request rejected before its body could be read (bad gzip, oversized). */
  rejectInvalid(signal: Signal): void {
    this.state[signal].invalidRequests++;
  }

  counts(): SinkCounts {
    return structuredClone(this.state);
  }

  private acceptProto(signal: Signal, body: Uint8Array): number {
    const events = countProto(signal, body);
    // Counting walks only the envelope; decoding also checks every field inside the items.
    if (this.verifier) this.verifier.check(signal, requestType(signal).decode(body));
    return events;
  }

  private acceptJson(signal: Signal, body: Uint8Array): number {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw jsonSyntaxError(text, err);
    }
    const events = countJson(signal, parsed);
    // Decoding checks every field (hex ids, 64-bit strings) and gives the verifier what protobufjs gives for proto bodies.
    if (this.verifier) this.verifier.check(signal, decodeOtlpJsonValue(signal, parsed));
    return events;
  }
}

function describe(err: unknown): string {
  if (err instanceof WireError) return `malformed protobuf: ${err.message}`;
  if (err instanceof JsonShapeError) return `not an OTLP request: ${err.message}`;
  if (err instanceof TemplateError) return `malformed OTLP/JSON: ${err.message}`;
  // protobufjs decode errors (verify mode) carry the offset in their message.
  return `malformed request: ${err instanceof Error ? err.message : String(err)}`;
}
