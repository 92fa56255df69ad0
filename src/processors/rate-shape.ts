/**
 * A target rate over time, as k6's `stages`: from `startRate`, each stage ramps linearly
 * to its `target` over its duration (equal targets hold the rate). Times are ms since
 * the shape's origin, rates events/s. The token bucket integrates this curve exactly, so
 * what a pipeline sends follows the ramp however far apart its requests are.
 */
export interface Stage {
  durationMs: number;
  /** events/s reached at the end of the stage. */
  target: number;
}

interface Segment {
  /** Start time (ms since origin), rate at the start, slope (events/s per ms), events sent before it. */
  t0: number;
  r0: number;
  slope: number;
  e0: number;
  durationMs: number;
}

export class RateShape {
  /** When the last stage ends (ms since origin); Infinity for a constant rate. */
  readonly endMs: number;
  readonly #segments: Segment[];

  /** `scale` multiplies every rate: a worker's share of its pipeline's curve. */
  constructor(stages: readonly Stage[], startRate: number, scale = 1) {
    if (stages.length === 0) throw new RangeError('a rate shape needs at least one stage');
    const segments: Segment[] = [];
    let t0 = 0;
    let r0 = startRate * scale;
    let e0 = 0;
    for (const s of stages) {
      if (!(s.durationMs > 0) || !(s.target >= 0) || !Number.isFinite(s.target)) throw new RangeError(`bad stage ${JSON.stringify(s)}`);
      const r1 = s.target * scale;
      const slope = Number.isFinite(s.durationMs) ? (r1 - r0) / s.durationMs : 0;
      segments.push({ t0, r0, slope, e0, durationMs: s.durationMs });
      e0 += (((r0 + r1) / 2) * s.durationMs) / 1000;
      t0 += s.durationMs;
      r0 = r1;
    }
    this.#segments = segments;
    this.endMs = t0;
  }

  /** A rate that never changes or ends. */
  static constant(eventsPerSecond: number): RateShape {
    return new RateShape([{ durationMs: Infinity, target: eventsPerSecond }], eventsPerSecond);
  }

  /** The index of the stage in progress at `t` (the last one once the shape has ended). */
  stageAt(t: number): number {
    const segs = this.#segments;
    let i = 0;
    while (i < segs.length - 1 && t >= segs[i + 1]!.t0) i++;
    return i;
  }

  /** events/s at `t`; before the origin the start rate, after the end the last target. */
  rateAt(t: number): number {
    const s = this.#segments[this.stageAt(t)]!;
    const x = Math.min(Math.max(t - s.t0, 0), s.durationMs);
    return s.r0 + s.slope * x;
  }

  /** Events the curve allows in [0, t]; constant after the end. */
  eventsBy(t: number): number {
    if (t <= 0) return 0;
    const s = this.#segments[this.stageAt(t)]!;
    const x = Math.min(t - s.t0, s.durationMs);
    return s.e0 + ((s.r0 + (s.slope * x) / 2) * x) / 1000;
  }

  /** The earliest time at which `eventsBy` reaches `events`; Infinity when the shape ends first. */
  timeOf(events: number): number {
    if (events <= 0) return 0;
    for (const s of this.#segments) {
      const finite = Number.isFinite(s.durationMs);
      if (finite && events > s.e0 + ((s.r0 + (s.slope * s.durationMs) / 2) * s.durationMs) / 1000) continue;
      // Solve e = r0·x + slope·x²/2 for x (ms) in the form that stays exact when slope → 0.
      const e = (events - s.e0) * 1000;
      if (e <= 0) return s.t0;
      const root = Math.sqrt(Math.max(0, s.r0 * s.r0 + 2 * s.slope * e));
      const x = s.r0 + root > 0 ? (2 * e) / (s.r0 + root) : Infinity;
      return s.t0 + Math.min(x, s.durationMs);
    }
    return Infinity;
  }
}
