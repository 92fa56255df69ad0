/**
 * The processor contract. A processor is one module exporting a ProcessorFactory; the
 * registry (index.ts) lists them. It plugs into the engine at three points, chosen so
 * the stamp loop stays flat typed-array code:
 * - `compile`: once per pipeline start, edits the CompilePlan (rewrite templates, record
 *   sites, split requests);
 * - `cycle`: once per replay cycle, sets what the stamper writes this cycle (new ids,
 *   jitter, per-cycle values);
 * - `send`: before each request, paces it (may wait).
 * Every hook is a required key: a processor that has nothing to do at a point says
 * `null`, so forgetting one is a compile error rather than a silent no-op.
 */
import type { CompilePlan } from '../compile/plan.js';
import type { ComponentConfig, ComponentFactory } from '../config/component.js';
import type { Signal } from '../otlp/signals.js';
import type { CycleControls } from '../stamp/stamper.js';

/** What a processor does to the data, as far as the order of a pipeline's processors goes. */
export type ProcessorTrait =
  | 'sets_times' // times become now-based
  | 'shifts_times' // moves times it did not set
  | 'new_ids'
  | 'rewrites' // changes template bytes (so request sizes)
  | 'varies_attributes' // writes attribute values per cycle
  | 'splits' // packs requests by size
  | 'paces'; // decides when requests go out

/**
 * An order constraint on the processors listed before this one: `after` = one with
 * `trait` must come earlier; `not_after` = none with `trait` may. `why` ends the message.
 */
export interface OrderRule {
  rule: 'after' | 'not_after';
  trait: ProcessorTrait;
  why: string;
}

/**
 * What a processor instance runs in: one pipeline worker of one replica. A pacer takes
 * pipeline-wide rates through `share` and starts at `phase`, so every rate it is given
 * (constant or staged) is split exactly over replicas × workers (rate-share.ts).
 */
export interface ProcessorContext {
  signal: Signal;
  /** This worker's index and the pipeline's worker count in this replica. */
  worker: number;
  workers: number;
  /** This process's replica index and the replica count (service.replicas). */
  replica: number;
  replicas: number;
  /** This worker's exact part of a pipeline-wide rate in events/s (0 when the rate is smaller than the number of senders). */
  share(total: number): number;
  /** Where its first request falls in one request interval, in [0, 1): a token bucket starts with phase × request size. */
  phase: number;
}

/**
 * The per-send hook: admits a request of `events` events; false = stop: the abort
 * fired, the load shape ended, or the pacer will never admit a request (its share of the
 * rate is 0). Its clock starts when the pipeline's workers start sending (one origin for
 * all of them, so a load shape is shared exactly), and the main thread may set a new rate
 * while it runs (capacity search).
 */
export interface Pacer {
  /** Events per second this worker is held to now (stats lines report it). */
  readonly rate: number;
  /** The load-shape stage in progress (an index into `stages`), or null without stages. */
  readonly stage: number | null;
  /** Starts the clock at `origin` (this thread's performance.now() scale). */
  start(origin: number): void;
  /** Holds the whole pipeline to `eventsPerSecond` from now on, replacing the configured rate or stages. */
  setRate(eventsPerSecond: number): void;
  /** Resolves true when the request may go; false = stop (the abort fired, or the load shape has ended). */
  take(events: number, abort: AbortSignal): Promise<boolean>;
}

export interface ProcessorHooks {
  compile: ((plan: CompilePlan) => void) | null;
  cycle: ((stamp: CycleControls, cycle: number) => void) | null;
  send: Pacer | null;
}

export interface ProcessorFactory<C extends ComponentConfig = ComponentConfig> extends ComponentFactory<C> {
  /** May a pipeline list two of this type (two `attributes/…`), or would they fight? */
  readonly repeatable: boolean;
  readonly traits: readonly ProcessorTrait[];
  readonly order: readonly OrderRule[];
  create(cfg: C, ctx: ProcessorContext): ProcessorHooks;
}

/** signalProblem for processors that serve every signal. */
export function anySignal(): undefined {
  return undefined;
}
