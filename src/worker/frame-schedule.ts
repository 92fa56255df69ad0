/**
 * The run-time half of delivery: a compiled template's frames are due at fixed offsets
 * from their cycle's origin, and cycles start `spacing` apart (events per cycle / rate),
 * so a cycle's late frames overlap the next cycles. This interleaves the frames of every
 * cycle in flight in due order; it keeps one cursor per cycle, never a copy of a frame.
 * Times are in ms on one clock (the runner's performance.now()); it does not wait itself.
 */
import type { CompiledTemplate } from '../compile/frame.js';

/** A cycle in flight: its frames' due offsets, the next one to send, and what the runner keeps for it. */
export interface CycleInFlight<T> {
  readonly cycle: number;
  readonly origin: number;
  readonly due: Float64Array;
  next: number;
  readonly state: T;
}

/** The earliest thing due: the next cycle's start, or a frame of a cycle in flight. */
export type Due<T> = { at: number; run: undefined } | { at: number; run: CycleInFlight<T> };

/** Stamping state of the cycles in flight is bounded to about this much per worker. */
const CYCLES_STATE_BYTES = 64 * 1024 * 1024;

/**
 * How many cycles may be in flight at once: each holds a Stamper (ids and bases of every
 * trace), so long delays with short cycles stay within CYCLES_STATE_BYTES.
 */
export function maxCyclesInFlight(c: CompiledTemplate): number {
  const bytes = c.unitCount * 48 + (c.traceGroups.length + c.spanGroups.length) * 12 + 1024;
  return Math.min(65536, Math.max(16, Math.floor(CYCLES_STATE_BYTES / bytes)));
}

/** A cycle planned this far behind the clock starts this far behind instead: a stall is not paid back as a burst. */
export const MAX_BEHIND_MS = 1000;

export class FrameSchedule<T> {
  private readonly running: CycleInFlight<T>[] = [];
  private nextOrigin: number;
  private cycles = 0;

  /** `maxInFlight` bounds the cycles (so their stamping state) alive at once; a cycle waits for a free place. */
  constructor(origin: number, private readonly maxInFlight: number) {
    if (!(maxInFlight >= 1)) throw new RangeError(`FrameSchedule: maxInFlight must be ≥ 1, got ${maxInFlight}`);
    this.nextOrigin = origin;
  }

  get inFlight(): number {
    return this.running.length;
  }

  /** Cycles started so far. */
  get started(): number {
    return this.cycles;
  }

  /**
   * The earliest due: the next cycle (whose first frame is due `firstDue` after its
   * origin; undefined = no more cycles may start) when a place is free, else the earliest
   * frame of the cycles in flight, older cycles first on a tie. Undefined when nothing is left.
   */
  next(firstDue: number | undefined): Due<T> | undefined {
    let best: Due<T> | undefined;
    for (const run of this.running) {
      const at = run.origin + run.due[run.next]!;
      if (!best || at < best.at) best = { at, run };
    }
    if (firstDue !== undefined && this.running.length < this.maxInFlight) {
      const at = this.nextOrigin + firstDue;
      if (!best || at < best.at) best = { at, run: undefined };
    }
    return best;
  }

  /** Starts the next cycle now (`now` on the same clock); the one after starts `spacingMs` after its origin. */
  start(due: Float64Array, state: T, spacingMs: number, now: number): CycleInFlight<T> {
    if (due.length === 0) throw new RangeError('FrameSchedule: a cycle needs at least one frame');
    const origin = Math.max(this.nextOrigin, now - MAX_BEHIND_MS);
    const run: CycleInFlight<T> = { cycle: this.cycles++, origin, due, next: 0, state };
    this.running.push(run);
    this.nextOrigin = origin + spacingMs;
    return run;
  }

  /** The frame `run.next` has gone; true when it was the cycle's last (the cycle leaves the schedule). */
  advance(run: CycleInFlight<T>): boolean {
    if (++run.next < run.due.length) return false;
    this.running.splice(this.running.indexOf(run), 1);
    return true;
  }

  /** Every cycle still in flight (the runner releases their state when it stops). */
  inFlightCycles(): readonly CycleInFlight<T>[] {
    return this.running;
  }
}
