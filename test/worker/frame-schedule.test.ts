import { describe, expect, it } from 'vitest';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import { FrameSchedule, MAX_BEHIND_MS, maxCyclesInFlight } from '../../src/worker/frame-schedule.js';

/**
 * Runs a schedule to the end as the runner does, on a simulated clock that reaches each
 * due time as it is served (and jumps `jump.by` once it reaches `jump.at`, like a stalled
 * process): what goes when, as "cycle:frame@due".
 */
function drain(due: number[], opts: { spacing: number; cycles: number; maxInFlight?: number; jump?: { at: number; by: number } }): string[] {
  const sched = new FrameSchedule<null>(0, opts.maxInFlight ?? 100);
  const dues = Float64Array.from(due);
  const out: string[] = [];
  let clock = 0;
  let jumped = false;
  for (;;) {
    const d = sched.next(sched.started < opts.cycles ? dues[0] : undefined);
    if (!d) return out;
    clock = Math.max(clock, d.at);
    if (opts.jump && !jumped && clock >= opts.jump.at) {
      clock += opts.jump.by;
      jumped = true;
    }
    if (!d.run) {
      sched.start(dues, null, opts.spacing, clock);
      continue;
    }
    out.push(`${d.run.cycle}:${d.run.next}@${d.at}`);
    sched.advance(d.run);
  }
}

describe('frame schedule', () => {
  it('interleaves the frames of overlapping cycles in due order, older cycles first on a tie', () => {
    // A cycle every second whose last frame is due 2.5 s in: it goes after the next cycles' first frames.
    expect(drain([0, 50, 2500], { spacing: 1000, cycles: 3 })).toEqual([
      '0:0@0', '0:1@50', '1:0@1000', '1:1@1050', '2:0@2000', '2:1@2050', '0:2@2500', '1:2@3500', '2:2@4500',
    ]);
    expect(drain([0, 1000], { spacing: 1000, cycles: 2 })).toEqual(['0:0@0', '0:1@1000', '1:0@1000', '1:1@2000']);
  });

  it('keeps at most maxInFlight cycles alive: the next starts when one has sent its last frame', () => {
    // The third cycle, planned at 200, waits for the first to end at 5000; it then starts MAX_BEHIND_MS back.
    expect(drain([0, 5000], { spacing: 100, cycles: 3, maxInFlight: 2 })).toEqual([
      '0:0@0', '1:0@100', '0:1@5000', `2:0@${5000 - MAX_BEHIND_MS}`, '1:1@5100', `2:1@${10_000 - MAX_BEHIND_MS}`,
    ]);
  });

  it('starts a cycle planned far behind the clock MAX_BEHIND_MS behind it, so a stall is not sent as one burst', () => {
    // The clock jumps 10 s ahead at the second cycle's start; the third keeps the spacing from there.
    const out = drain([0], { spacing: 100, cycles: 3, jump: { at: 100, by: 10_000 } });
    expect(out).toEqual(['0:0@0', `1:0@${10_100 - MAX_BEHIND_MS}`, `2:0@${10_200 - MAX_BEHIND_MS}`]);
  });

  it('refuses a cycle without frames and a bound below one', () => {
    expect(() => new FrameSchedule(0, 0)).toThrow(RangeError);
    expect(() => new FrameSchedule(0, 1).start(new Float64Array(0), null, 1, 0)).toThrow(/at least one frame/);
  });

  it('bounds the cycles in flight by the memory of their ids and bases: ~64 MB per worker, at least 16', () => {
    const template = (traces: number, spans: number) =>
      ({ unitCount: traces, traceGroups: new Uint32Array(traces * 4), spanGroups: new Uint32Array(spans * 2) }) as unknown as CompiledTemplate;
    // 8000 traces of 15 spans: ~1.9 MB a cycle.
    expect(maxCyclesInFlight(template(8000, 120_000))).toBe(Math.floor((64 * 1024 * 1024) / (8000 * 48 + (32_000 + 240_000) * 12 + 1024)));
    expect(maxCyclesInFlight(template(1_000_000, 20_000_000))).toBe(16);
    // A one-span template: tens of thousands of cycles, whatever the delay.
    expect(maxCyclesInFlight(template(1, 1))).toBeGreaterThan(50_000);
  });
});
