import { IdTable, isZeroId } from './id-table.js';

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
  private readonly traces = new IdTable(4);
  /** (trace index, span id) → occurrences so far. */
  private readonly spans = new IdTable(4);
  private seen = new Int32Array(1024);
  /** (trace index, copy) → unit. */
  private readonly units = new IdTable(2);
  private readonly key = new Uint8Array(16);
  private readonly keyView = new DataView(this.key.buffer);
  /** Spans that repeated a span id already seen in their trace. */
  repeats = 0;
  /** The copy number of the span last given to `unit`. */
  copy = 0;
  /** Whether the last `unit` call started a new unit. */
  added = false;

  /** The time unit of a span with its 16-byte trace id at `buf[traceAt]` and 8-byte span id at `buf[spanAt]` (-1: none). */
  unit(buf: Uint8Array, traceAt: number, spanAt: number): number {
    const trace = this.traces.index(buf, traceAt);
    this.copy = 0;
    if (spanAt >= 0 && !isZeroId(buf, spanAt, 8)) {
      this.keyView.setUint32(0, trace, true);
      this.key.set(buf.subarray(spanAt, spanAt + 8), 4);
      this.keyView.setUint32(12, 0, true);
      const k = this.spans.index(this.key, 0);
      if (k >= this.seen.length) {
        const grown = new Int32Array(this.seen.length * 2);
        grown.set(this.seen);
        this.seen = grown;
      }
      this.copy = this.seen[k]!++;
      if (this.copy > 0) this.repeats++;
    }
    this.keyView.setUint32(0, trace, true);
    this.keyView.setUint32(4, this.copy, true);
    const unit = this.units.index(this.key, 0);
    this.added = this.units.added;
    return unit;
  }

  /** Units so far. */
  get size(): number {
    return this.units.size;
  }
}
