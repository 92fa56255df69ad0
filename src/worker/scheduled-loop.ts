/**
 * The send loop of a delivery schedule: frames go at their due times, interleaved over
 * the cycles in flight (each stamped by its own Stamper for its own origin); a new cycle
 * starts every events / rate, so the rate holds on average, and every frame still passes
 * the pacers (in `send`).
 */
import type { ProcessorHooks } from '../processors/processor.js';
import type { StamperOptions } from '../stamp/stamper.js';
import { MemoryFrames } from './frame-source.js';
import { FrameSchedule, maxCyclesInFlight } from './frame-schedule.js';
import type { Pools } from './pipeline-frames.js';
import { sleepUntil } from './sleep-until.js';

/** What the loop needs of its pipeline worker. */
export interface ScheduledHost {
  readonly stop: AbortSignal;
  readonly processors: ProcessorHooks[];
  /** The current compile (with a schedule) and its send buffers: a generator refresh replaces them. */
  current(): { frames: MemoryFrames; pools: Pools };
  /** A pacer's load shape has ended. */
  finished(): boolean;
  /** Events per second this worker is held to now; undefined without a pacer. */
  rate(): number | undefined;
  stamperOptions(): StamperOptions;
  /** Waits for slots and pacers, stamps frame `i` and sends it; false = stop. */
  send(frames: MemoryFrames, pools: Pools, i: number): Promise<boolean>;
  /** Cycle `cycle` has been handed to the exporters whole. */
  cycleSent(cycle: number): void;
}

/** A scheduled cycle's own frames and Stamper (its ids and times) over the compile it started with, and their buffers. */
interface CycleState {
  frames: MemoryFrames;
  pools: Pools;
}

/** Runs until `loops` cycles have started and ended (0: forever), a stop, or the end of a load shape. */
export async function runScheduled(host: ScheduledHost, loops: number): Promise<void> {
  const sched = new FrameSchedule<CycleState>(performance.now(), maxCyclesInFlight(host.current().frames.compiled));
  /** Frames (each with its own Stamper) free for the next cycle of `spareOf`, the current compile. */
  let spare: MemoryFrames[] = [];
  let spareOf = host.current().frames.compiled;
  while (!host.stop.aborted && !host.finished()) {
    const current = host.current();
    const { compiled } = current.frames;
    if (compiled !== spareOf) {
      spare = [];
      spareOf = compiled;
    }
    const schedule = compiled.schedule!;
    const d = sched.next(loops === 0 || sched.started < loops ? schedule.due[0] : undefined);
    if (!d) break;
    if (!d.run) {
      const frames = spare.pop() ?? new MemoryFrames(compiled, host.stamperOptions());
      // Cycles start events / rate apart, at the rate of the moment (a load shape moves it).
      const rate = host.rate();
      const spacing = rate ? (compiled.totalEvents / rate) * 1000 : schedule.cycleMs;
      const run = sched.start(schedule.due, { frames, pools: current.pools }, spacing, performance.now());
      // The cycle's origin on the wall clock, as the stamper writes times. Date.now() counts
      // whole ms: 1 ms earlier keeps every stamped end at or before the wall-clock ms it is sent in.
      const controls = frames.beginCycle(run.cycle, Date.now() - 1 - performance.now() + run.origin);
      for (const p of host.processors) p.cycle?.(controls, run.cycle);
      continue;
    }
    if (d.at > performance.now()) await sleepUntil(d.at, host.stop, () => performance.now());
    if (host.stop.aborted) break;
    const { frames, pools } = d.run.state;
    if (!(await host.send(frames, pools, d.run.next))) break;
    if (!sched.advance(d.run)) continue;
    // A cycle of an older compile (before a generator refresh) is simply collected.
    if (frames.compiled === compiled) spare.push(frames);
    host.cycleSent(d.run.cycle);
  }
}
