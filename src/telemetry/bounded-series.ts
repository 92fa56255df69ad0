/**
 * A time series that never holds more than `max` points: when a push would exceed it,
 * neighbouring points are merged pairwise (the series keeps the whole run at half the
 * resolution) and `stride` doubles, so the owner pushes one point per `stride` samples
 * from then on and the spacing stays even.
 */
export class BoundedSeries<P extends { seq: number }> {
  readonly #max: number;
  readonly #merge: Merge<P>;
  #points: P[] = [];

  /** `merge(before, a, b)` makes one point covering a's and b's windows; `before` is the point preceding a. */
  constructor(max: number, merge: Merge<P>) {
    if (!Number.isInteger(max) || max < 2) throw new RangeError(`BoundedSeries: max must be an integer >= 2, got ${max}`);
    this.#max = max;
    this.#merge = merge;
  }

  get points(): readonly P[] {
    return this.#points;
  }

  get last(): P | undefined {
    return this.#points.at(-1);
  }

  /** Adds a point; returns true when the series had to be halved to make room. */
  push(p: P): boolean {
    this.#points.push(p);
    if (this.#points.length <= this.#max) return false;
    this.halve();
    return true;
  }

  /** Merges pairs (0,1), (2,3), …; an odd last point stays as it is. */
  halve(): void {
    const src = this.#points;
    const out: P[] = [];
    for (let i = 0; i + 1 < src.length; i += 2) out.push(this.#merge(src[i - 1], src[i]!, src[i + 1]!));
    if (src.length % 2 === 1) out.push(src.at(-1)!);
    this.#points = out;
  }

  /** Points after sequence number `seq`. */
  since(seq: number): P[] {
    let i = this.#points.length;
    while (i > 0 && this.#points[i - 1]!.seq > seq) i--;
    return this.#points.slice(i);
  }
}

export type Merge<P> = (before: P | undefined, a: P, b: P) => P;
