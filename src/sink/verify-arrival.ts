/**
 * What the sink sees of *when* spans arrive, as a tail sampler would: spans that arrive
 * before their end time (a live SDK exports a span after it ends), and roots that arrive
 * before one of their children (an SDK ends, so exports, the root last). Neither is a
 * broken request, so they are reported beside the problems, not among them.
 */
import type { Nanos, ProblemExample } from './verify.js';

export interface ArrivalReport {
  /** How far a span's end may lie after its arrival before it counts (clock steps, timer slack). */
  allowanceMs: number;
  /** Spans whose end was more than allowanceMs after the moment the sink received them. */
  endedAfterArrival: number;
  /** The most any span ended after its arrival, ms (0 when none did). */
  maxEndAfterArrivalMs: number;
  /** Traces whose root arrived in an earlier request than one of their children. */
  rootsBeforeChildren: number;
  examples: { endedAfterArrival: ProblemExample[]; rootsBeforeChildren: ProblemExample[] };
}

export const ARRIVAL_ALLOWANCE_MS = 50;
const TWO32_MS = 4294967296 / 1e6;

/**
 * Arrival checks over a stream of requests. Which request a trace's root came in is kept
 * for a window of traces (two generations, like the verifier's span ids), so memory is
 * bounded; a child arriving after its trace left the window is not compared.
 */
export class ArrivalCheck {
  private request = 0;
  private receivedAtMs = 0;
  private ended = 0;
  private maxAfter = 0;
  private rootsFirst = 0;
  private readonly endedExamples: ProblemExample[] = [];
  private readonly rootExamples: ProblemExample[] = [];
  /** trace id (latin1) → the request its root arrived in. */
  private roots = new Map<string, number>();
  private rootsOld = new Map<string, number>();

  constructor(
    private readonly window: number,
    private readonly maxExamples: number,
    private readonly allowanceMs = ARRIVAL_ALLOWANCE_MS,
  ) {}

  /** A new request, received at `receivedAtMs` (ms since the epoch). */
  begin(receivedAtMs: number): void {
    this.request++;
    this.receivedAtMs = receivedAtMs;
  }

  span(traceId: Uint8Array, spanId: Uint8Array, parentId: Uint8Array, end: Nanos): void {
    const after = end.hi * TWO32_MS + end.lo / 1e6 - this.receivedAtMs;
    if (after > this.allowanceMs) {
      this.ended++;
      if (after > this.maxAfter) this.maxAfter = after;
      this.example(this.endedExamples, traceId, spanId, `ends ${Math.round(after)} ms after it arrived`);
    }
    if (traceId.length !== 16) return;
    const trace = Buffer.from(traceId.buffer, traceId.byteOffset, 16).toString('latin1');
    if (parentId.length === 0) {
      if (this.roots.size >= this.window / 2) this.rotate();
      this.roots.set(trace, this.request);
      return;
    }
    const rootAt = this.roots.get(trace) ?? this.rootsOld.get(trace);
    if (rootAt === undefined || rootAt === this.request) return;
    // Counted once per trace: the trace leaves the window.
    this.roots.delete(trace);
    this.rootsOld.delete(trace);
    this.rootsFirst++;
    this.example(this.rootExamples, traceId, spanId, 'arrived after its trace\'s root');
  }

  report(): ArrivalReport {
    return {
      allowanceMs: this.allowanceMs,
      endedAfterArrival: this.ended,
      maxEndAfterArrivalMs: Math.round(this.maxAfter),
      rootsBeforeChildren: this.rootsFirst,
      examples: { endedAfterArrival: [...this.endedExamples], rootsBeforeChildren: [...this.rootExamples] },
    };
  }

  private rotate(): void {
    this.rootsOld = this.roots;
    this.roots = new Map();
  }

  private example(list: ProblemExample[], traceId: Uint8Array, spanId: Uint8Array, message: string): void {
    if (list.length >= this.maxExamples) return;
    const hex = (id: Uint8Array): string => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
    list.push({ signal: 'traces', traceId: hex(traceId), spanId: hex(spanId), message });
  }
}

/** The counts of a report, as a log line shows them (snake_case, no examples). */
export function arrivalCounts(a: ArrivalReport): Record<string, number> {
  return {
    allowance_ms: a.allowanceMs,
    ended_after_arrival: a.endedAfterArrival,
    max_end_after_arrival_ms: a.maxEndAfterArrivalMs,
    roots_before_children: a.rootsBeforeChildren,
  };
}
