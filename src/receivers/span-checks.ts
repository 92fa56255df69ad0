import type { EndlessSpan, TemplatedSpan } from './template-spans.js';

/**
 * What normalize finds in a traces template besides ids and times: spans to rewrite
 * (`_template.*` attributes, a missing end time), spans that end before they start, and
 * spans that repeat a span id of their trace. Bad spans are repaired, not rejected: a
 * recording with one clock-skewed span is still worth replaying, and the repair is
 * reported (count and first span) so it is never silent.
 */
export class SpanChecks {
  /** Spans with `_template.*` attributes, rewritten by rebuildSpans. */
  readonly templated: TemplatedSpan[] = [];
  /** Spans without an end time that start after their trace: rebuildSpans gives them end = start. */
  readonly endless: EndlessSpan[] = [];
  private repaired = 0;
  private firstRepaired = '';
  private repeats = 0;
  private firstRepeat = '';

  constructor(private readonly buf: Buffer, private readonly byteOffsets: boolean) {}

  /**
   * A span that ends before it starts gets end = start (duration 0): in place when it has
   * an end time, by a rebuild when it has none (an absent end is 0, which stamps as its
   * trace's start). Runs before the span's times are noted for rebasing.
   */
  checkEnd(s: number, e: number, startAt: number, endAt: number, where: () => string): void {
    if (startAt < 0) return;
    const buf = this.buf;
    const sHi = buf.readUInt32LE(startAt + 4), sLo = buf.readUInt32LE(startAt);
    const eHi = endAt < 0 ? 0 : buf.readUInt32LE(endAt + 4), eLo = endAt < 0 ? 0 : buf.readUInt32LE(endAt);
    if (eHi > sHi || (eHi === sHi && eLo >= sLo)) return;
    if (this.repaired++ === 0) this.firstRepaired = this.describe(s, where);
    if (endAt >= 0) buf.copy(buf, endAt, startAt, startAt + 8);
    else this.endless.push({ start: s, end: e, startAt });
  }

  /** A span whose span id occurred before in its trace. */
  repeated(s: number, where: () => string): void {
    if (this.repeats++ === 0) this.firstRepeat = this.describe(s, where);
  }

  needsRebuild(): boolean {
    return this.templated.length > 0 || this.endless.length > 0;
  }

  repairWarnings(): string[] {
    const n = this.repaired;
    if (n === 0) return [];
    return [`${plural(n, 'span')} ended before ${n === 1 ? 'it' : 'they'} started (end time before start time, or no end time): replayed with end = start (duration 0); first: ${this.firstRepaired}`];
  }

  copyWarnings(): string[] {
    const n = this.repeats;
    if (n === 0) return [];
    return [
      `${plural(n, 'span')} ${n === 1 ? 'repeats' : 'repeat'} a span id already used in ${n === 1 ? 'its' : 'their'} trace (e.g. two recordings concatenated): ` +
        `each repeat belongs to another copy of the trace, replayed as a trace of its own (with id_regen, with its own trace and span ids); first: ${this.firstRepeat}`,
    ];
  }

  private describe(s: number, where: () => string): string {
    return this.byteOffsets ? `${where()} (byte ${s})` : where();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
