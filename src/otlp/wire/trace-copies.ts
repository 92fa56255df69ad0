import { IdTable, isZeroId, read32 } from './id-table.js';

/**
 * About how many spans `bytes` of encoded spans hold (the bench template's take ~340
 * bytes each), to size tables once rather than grow them. Typed arrays are zero pages
 * until written, so a guess too high costs address space, not memory.
 */
export function expectedSpans(bytes: number): number {
  return Math.ceil(bytes / 256);
}

/**
 * Copies of a trace inside one template: a span whose span id already occurred in its
 * trace starts (or joins) a later copy, so two recordings concatenated into one file
 * are two copies of each trace, not one trace with every span twice. A span's copy
 * number is how often its span id occurred before it in its trace (0 for the first);
 * a span without a span id (absent or all zero) belongs to copy 0.
 *
 * Every (trace id, copy) is one time unit, numbered densely in order of first sight:
 * normalize rebases each copy on its own earliest time and compile gives each copy its
 * own time base and, with id_regen, its own trace and span ids. The receiver (to warn
 * and rebase) and the compiler (to stamp) walk the spans in the same order, so both see
 * the same copies.
 */
export class TraceCopies {
  /**
   * Trace ids and span ids interned in order of first sight: the compiler numbers its id
   * groups by these indexes (`trace`, `spanId`) rather than hashing the ids again.
   */
  readonly traces = new IdTable(4);
  readonly spanIds: IdTable;
  /** Per span id index: 1 + the trace it was first seen in, and how often it occurred there. */
  private spanTrace = new Int32Array(1024);
  private spanSeen = new Int32Array(1024);
  /** (trace index, span id) → occurrences, for the (rare) span ids seen in more than one trace. */
  private readonly shared = new IdTable(4);
  private sharedSeen = new Int32Array(1024);
  /** Per trace index: the unit of its copy 0 (+ 1; 0 = none yet). */
  private firstCopy = new Int32Array(1024);
  /** (trace index, copy) → index among later copies; `laterUnit` maps that to the unit. */
  private readonly later = new IdTable(2);
  private readonly laterUnit: number[] = [];
  /** The trace id of the last span (as words) and its index; -1: none yet. */
  private readonly lastTraceId = new Uint32Array(4);
  private lastTrace = -1;
  /** Table keys, written as words and read back as bytes (the same order both ways). */
  private readonly key = new Uint32Array(4);
  private readonly keyBytes = new Uint8Array(this.key.buffer);
  /** Spans that repeated a span id already seen in their trace. */
  repeats = 0;
  /** The copy number of the span last given to `unit`. */
  copy = 0;
  /** The trace index and span id index (-1: none) of the span last given to `unit`. */
  trace = 0;
  spanId = -1;
  /** Whether the last `unit` call started a new unit. */
  added = false;
  /** Units so far. */
  size = 0;

  /** `templateBytes`: the size of the encoded spans to come, so the span id table is sized once for them rather than grown. */
  constructor(templateBytes = 0) {
    this.spanIds = new IdTable(2, expectedSpans(templateBytes));
  }

  /** The time unit of a span with its 16-byte trace id at `buf[traceAt]` and 8-byte span id at `buf[spanAt]` (-1: none). */
  unit(buf: Uint8Array, traceAt: number, spanAt: number): number {
    const trace = (this.trace = this.traceIndex(buf, traceAt));
    this.spanId = -1;
    this.copy = spanAt >= 0 && !isZeroId(buf, spanAt, 8) ? this.occurrence(trace, buf, spanAt) : 0;
    this.added = false;
    if (this.copy === 0) {
      if (trace >= this.firstCopy.length) this.firstCopy = grown(this.firstCopy);
      if (this.firstCopy[trace] === 0) this.firstCopy[trace] = this.newUnit();
      return this.firstCopy[trace]! - 1;
    }
    this.key[0] = trace;
    this.key[1] = this.copy;
    const k = this.later.index(this.keyBytes, 0);
    if (this.later.added) this.laterUnit.push(this.newUnit() - 1);
    return this.laterUnit[k]!;
  }

  /** `traces.index`, but a span of the same trace as the span before (most of them) skips the lookup. */
  private traceIndex(buf: Uint8Array, at: number): number {
    const a = read32(buf, at), b = read32(buf, at + 4), c = read32(buf, at + 8), d = read32(buf, at + 12);
    const last = this.lastTraceId;
    if (this.lastTrace >= 0 && last[0] === a && last[1] === b && last[2] === c && last[3] === d) return this.lastTrace;
    last[0] = a;
    last[1] = b;
    last[2] = c;
    last[3] = d;
    return (this.lastTrace = this.traces.index(buf, at));
  }

  /**
   * The `spanIds` index of the parent span id at `buf[at..]`, interned now: its span was
   * usually interned a moment ago, so the lookup finds it in cache, where the compiler's
   * later lookup would not.
   */
  parent(buf: Uint8Array, at: number): number {
    return this.spanIds.index(buf, at);
  }

  /** How often this span id occurred in this trace before. */
  private occurrence(trace: number, buf: Uint8Array, spanAt: number): number {
    const s = (this.spanId = this.spanIds.index(buf, spanAt));
    while (s >= this.spanTrace.length) {
      this.spanTrace = grown(this.spanTrace);
      this.spanSeen = grown(this.spanSeen);
    }
    // First seen as a span's own id (`spanIds` may hold it already as a parent, see `parent`).
    if (this.spanTrace[s] === 0) {
      this.spanTrace[s] = trace + 1;
      this.spanSeen[s] = 1;
      return 0;
    }
    let copy: number;
    if (this.spanTrace[s] === trace + 1) copy = this.spanSeen[s]!++;
    else {
      const key = this.key;
      key[0] = trace;
      key[1] = read32(buf, spanAt);
      key[2] = read32(buf, spanAt + 4);
      key[3] = 0;
      const k = this.shared.index(this.keyBytes, 0);
      if (k >= this.sharedSeen.length) this.sharedSeen = grown(this.sharedSeen);
      copy = this.sharedSeen[k]!++;
    }
    if (copy > 0) this.repeats++;
    return copy;
  }

  /** A new unit's number + 1. */
  private newUnit(): number {
    this.added = true;
    return ++this.size;
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
