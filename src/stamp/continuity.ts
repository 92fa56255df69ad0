/**
 * Metrics continuity, stamp side: once per cycle (never per send) fixes every data
 * point's time base and start base and every value site's 8 bytes, so a replayed series
 * behaves like one live series: one start time for cumulative points, delta points
 * chained (start = the series' previous point), counters grown by the template's
 * increment, gauges on a seeded random walk within their observed range, and a cycle's
 * times at least `intervalMs` (plus the template's own time span and any jitter) after
 * the previous cycle's. The Stamper writes the results through its ordinary time sites
 * (start sites have their own units) and `values` sites.
 */
import { CUMULATIVE, DELTA, GAUGE, GROW, KEEP, type MetricContinuity, WALK } from '../compile/metric-series.js';
import { V_DOUBLE, V_INT, V_UINT, writePaddedVarint } from '../compile/value-sites.js';
import { mulberry32 } from '../mulberry32.js';
import { VALUE_JSON_WIDTH } from '../otlp/wire/json.js';
import { TWO32 } from '../otlp/wire/write.js';
import { baseTime, NS_PER_S, toHiLo } from './time.js';

/** Values are kept as doubles: counts stay exact below 2^53 (at 10⁶ a cycle every 10 s, for 2,800 years). */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** Where the Stamper keeps each unit's base: sec/nsec (JSON) and fixed64 halves (proto). */
export interface UnitBases {
  baseSec: Float64Array;
  baseNsec: Float64Array;
  baseLoHi: Uint32Array;
}

/**
 * The most data points per second one sender can send a template at with continuity:
 * its points once per cycle, and a cycle at most every interval + the template's span.
 */
export function continuityBound(c: MetricContinuity, intervalMs: number): number {
  return c.points / ((intervalMs + c.spanNs / 1e6) / 1000);
}

export class Continuity {
  /** Per value slot, this cycle's 8 bytes as two little-endian uint32 words. */
  readonly words: Uint32Array;
  private readonly c: MetricContinuity;
  private readonly intervalMs: number;
  /** Cycles fixed since the pipeline started (a reload or generator refresh starts again). */
  private round = 0;
  /** The previous cycle's base (ms since the epoch, before shift and jitter). */
  private cycleMs = 0;
  /** Per point: the previous cycle's time base, for delta chaining. */
  private readonly prevSec: Float64Array;
  private readonly prevNsec: Float64Array;
  /** Per point: its series' start, fixed in the first cycle (cumulative points). */
  private readonly startSec: Float64Array;
  private readonly startNsec: Float64Array;
  /** Per value slot: a gauge's walk position. */
  private readonly walk: Float64Array;
  /** Per value slot: this cycle's value, and as OTLP/JSON text (VALUE_JSON_WIDTH characters each) once a JSON frame asks. */
  private readonly current: Float64Array;
  private json: Buffer | undefined;
  private jsonRound = -1;
  private readonly random: () => number;
  /** One 8-byte scratch seen as a double, two uint32 words and bytes (little-endian, as every platform Node runs on). */
  private readonly scratchF64 = new Float64Array(1);
  private readonly scratchU32 = new Uint32Array(this.scratchF64.buffer);
  private readonly scratchBytes = new Uint8Array(this.scratchF64.buffer);

  constructor(c: MetricContinuity, intervalMs: number, seed: readonly [number, number], sender: number) {
    if (!(intervalMs >= 0 && Number.isFinite(intervalMs))) throw new RangeError(`Continuity: interval must be ≥ 0 ms, got ${intervalMs}`);
    this.c = c;
    this.intervalMs = intervalMs;
    const n = c.points;
    this.prevSec = new Float64Array(n);
    this.prevNsec = new Float64Array(n);
    this.startSec = new Float64Array(n);
    this.startNsec = new Float64Array(n);
    this.walk = new Float64Array(c.slotValue.length);
    this.current = new Float64Array(c.slotValue.length);
    this.words = new Uint32Array(c.slotValue.length * 2);
    // Keyed by seed and sender like jitter, so senders walk differently and a run repeats exactly.
    this.random = mulberry32((seed[0] ^ Math.imul(seed[1], 0x85ebca6b) ^ Math.imul(sender + 1, 0x9e3779b1)) >>> 0);
  }

  /** How far a cycle's times move past the previous cycle's (ms): the interval, the template's span and the jitter. */
  private advanceMs(jitterMaxMs: number): number {
    return this.intervalMs + this.c.spanNs / 1e6 + jitterMaxMs;
  }

  /** Wall-clock ms before which the next cycle's times would lie in the future (0 for the first cycle). */
  dueAt(backdateMs: number, jitterMaxMs: number): number {
    return this.round === 0 ? 0 : this.cycleMs + this.advanceMs(jitterMaxMs) + backdateMs;
  }

  /**
   * Fixes this cycle: every point's base (now − backdate, or the previous cycle's + the
   * advance if that is later, minus the unit's shift and jitter), its start unit's base,
   * and every value site's bytes.
   */
  fix(nowMs: number, backdateMs: number, jitterMaxMs: number, shiftNs: Float64Array, jitterNs: Float64Array, b: UnitBases): void {
    const c = this.c;
    const n = c.points;
    const first = this.round === 0;
    this.cycleMs = first ? nowMs - backdateMs : Math.max(nowMs - backdateMs, this.cycleMs + this.advanceMs(jitterMaxMs));
    const fb = baseTime(this.cycleMs, 0);
    const { baseSec, baseNsec, baseLoHi } = b;
    // Points share the cycle's base but for their shift and jitter, mostly equal: convert once per distinct offset.
    let lastD = NaN;
    for (let u = 0; u < n; u++) {
      const d = jitterNs[u]! + shiftNs[u]!;
      if (d !== lastD) {
        set(b, u, fb.sec, fb.nsec - d);
        toHiLo(baseSec[u]!, baseNsec[u]!, baseLoHi, u * 2);
        lastD = d;
      } else copyUnit(b, u - 1, u);
    }
    for (let u = 0; u < n; u++) {
      const kind = c.pointKind[u]!;
      const s = n + u;
      if (kind === GAUGE) {
        copyUnit(b, u, s);
        continue;
      }
      if (kind === CUMULATIVE) {
        // a cumulative series' start never moves: fixed once, in the first cycle
        if (!first) continue;
        const f = c.firstPoint[u]!;
        if (f === u) {
          this.startSec[u] = baseSec[u]!;
          this.startNsec[u] = baseNsec[u]! + c.relStart[u]!;
        }
        set(b, s, this.startSec[f]!, this.startNsec[f]! - c.relStart[u]!);
      } else if (kind === DELTA) {
        const p = c.prevPoint[u]!;
        if (p >= 0) set(b, s, baseSec[p]!, baseNsec[p]! + c.relTime[p]! - c.relStart[u]!);
        else if (first) set(b, s, baseSec[u]!, baseNsec[u]!);
        else {
          const l = c.lastPoint[u]!;
          set(b, s, this.prevSec[l]!, this.prevNsec[l]! + c.relTime[l]! - c.relStart[u]!);
        }
      }
      toHiLo(baseSec[s]!, baseNsec[s]!, baseLoHi, s * 2);
    }
    this.prevSec.set(baseSec.subarray(0, n));
    this.prevNsec.set(baseNsec.subarray(0, n));
    this.values();
    this.round++;
  }

  private values(): void {
    const c = this.c;
    const r = this.round;
    // Locals: this loop runs over every value site of the template once per cycle.
    const mode = c.slotMode, kind = c.slotKind, value = c.slotValue, inc = c.slotInc, min = c.slotMin, max = c.slotMax;
    const walk = this.walk, current = this.current, w = this.words;
    const f64 = this.scratchF64, u32 = this.scratchU32;
    for (let k = 0; k < value.length; k++) {
      const m = mode[k]!;
      // a kept value's bytes never change after the first cycle
      if (m === KEEP && r > 0) continue;
      let v = value[k]!;
      if (m === GROW) v += r * inc[k]!;
      else if (m === WALK && r > 0) {
        const lo = min[k]!, hi = max[k]!;
        // A step of up to an eighth of the range: a gauge crosses its range in a few cycles, as a live one drifts.
        v = Math.min(hi, Math.max(lo, walk[k]! + (this.random() * 2 - 1) * ((hi - lo) / 8)));
      }
      walk[k] = v;
      const at = k * 2;
      const kd = kind[k]!;
      if (kd === V_DOUBLE) {
        f64[0] = v;
        w[at] = u32[0]!;
        w[at + 1] = u32[1]!;
      } else if (kd === V_UINT) {
        v = v <= 0 ? 0 : v >= MAX_COUNT ? MAX_COUNT : Math.round(v);
        const h = Math.floor(v / TWO32);
        w[at] = v - h * TWO32;
        w[at + 1] = h;
      } else v = this.encodeOther(kd, v, at);
      current[k] = v;
    }
  }

  /** This cycle's values as OTLP/JSON numbers, right-aligned in VALUE_JSON_WIDTH characters per slot; formatted once per cycle. */
  jsonText(): Buffer {
    const round = this.round - 1;
    if (this.json && this.jsonRound === round) return this.json;
    const kinds = this.c.slotKind;
    const out = (this.json ??= Buffer.alloc(this.current.length * VALUE_JSON_WIDTH));
    for (let k = 0; k < this.current.length; k++) {
      const v = this.current[k]!;
      const text = kinds[k] === V_DOUBLE && !Number.isFinite(v) ? `"${v}"` : String(v);
      out.write(text.padStart(VALUE_JSON_WIDTH, ' '), k * VALUE_JSON_WIDTH, 'latin1');
    }
    this.jsonRound = round;
    return out;
  }

  /** Writes `v` as a slot of kind V_INT or V_PADDED_VARINT into `words` at `at`; returns the value as written (rounded, clamped). */
  private encodeOther(kind: number, v: number, at: number): number {
    const w = this.words;
    v = Math.round(v);
    if (kind === V_INT) {
      v = Math.max(-MAX_COUNT, Math.min(MAX_COUNT, v));
      const hi = Math.floor(v / TWO32);
      w[at] = v - hi * TWO32;
      w[at + 1] = hi < 0 ? hi + TWO32 : hi;
      return v;
    }
    v = Math.max(0, Math.min(MAX_COUNT, v));
    writePaddedVarint(this.scratchBytes, 0, v);
    w[at] = this.scratchU32[0]!;
    w[at + 1] = this.scratchU32[1]!;
    return v;
  }
}

/** Gives unit `to` the base of unit `from`. */
function copyUnit(b: UnitBases, from: number, to: number): void {
  b.baseSec[to] = b.baseSec[from]!;
  b.baseNsec[to] = b.baseNsec[from]!;
  b.baseLoHi[to * 2] = b.baseLoHi[from * 2]!;
  b.baseLoHi[to * 2 + 1] = b.baseLoHi[from * 2 + 1]!;
}

/** Sets unit `u`'s base to sec + nsec, nsec any finite number of ns (normalized into [0, 1e9)). */
function set(b: UnitBases, u: number, sec: number, nsec: number): void {
  const carry = Math.floor(nsec / NS_PER_S);
  b.baseSec[u] = sec + carry;
  b.baseNsec[u] = nsec - carry * NS_PER_S;
}
