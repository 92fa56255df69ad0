/**
 * What a pipeline's processors ask of the engine, gathered once at pipeline start by
 * their compile hooks (in the order configured): which sites to record, how to split,
 * how to rewrite the templates first, and which fixed-width fields to stamp per cycle.
 * compile() builds frames from it and the Stamper patches what it recorded.
 */
import type { Signal } from '../otlp/signals.js';
import type { AttributeScope } from './attribute-rewrite.js';

/** A compile-time template rewrite: encoded request in, encoded request out (relative times kept). */
export type TemplateRewrite = (bytes: Uint8Array) => Uint8Array;

/** An attribute whose string value ends in `width` ASCII digits that the stamper rewrites. */
export interface DigitField {
  scope: AttributeScope;
  key: string;
  width: number;
}

export interface CompilePlan {
  readonly signal: Signal;
  /** Record id sites so every cycle can get new ids. */
  idRegen: boolean;
  /** Record time sites: every time becomes now − backdate (− jitter) + its offset. */
  timestamps: boolean;
  backdateMs: number;
  /** Times end at now − backdate (each trace's last end; a log or metrics template's latest time) rather than start there. */
  alignEnd: boolean;
  /** Request limits; null = one request per template. */
  split: { maxItems: number; maxBytes: number } | null;
  /** Applied to every template, in order, before it is indexed. */
  rewrites: TemplateRewrite[];
  /** Stamped per cycle; a field's index here is its slot in the Stamper. */
  digits: DigitField[];
  /** When spans are sent (delivery); null = every frame as soon as the rate allows. */
  delivery: DeliveryPlan | null;
  /**
   * Metrics continuity (timestamp): series keep their start, counters grow, gauges walk,
   * and a cycle's times advance at least `intervalMs`; null = every cycle replays the template as it is.
   */
  continuity: { intervalMs: number } | null;
}

/** A share of spans (or roots) sent `delayMs` after their normal time. */
export interface Late {
  share: number;
  delayMs: number;
}

/**
 * delivery: `whole` sends a trace when it has ended, `as_ended` each span when it ends;
 * either way traces start spread over a cycle and frames are due at fixed offsets in it.
 */
export interface DeliveryPlan {
  mode: 'whole' | 'as_ended';
  lateSpans: Late;
  lateRoot: Late;
  /** Share of traces whose root is never sent. */
  rootless: number;
}


export function emptyPlan(signal: Signal): CompilePlan {
  return { signal, idRegen: false, timestamps: false, backdateMs: 0, alignEnd: false, split: null, rewrites: [], digits: [], delivery: null, continuity: null };
}
