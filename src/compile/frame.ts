import type { Encoding, Signal } from '../otlp/signals.js';
import type { DeliverySchedule } from './delivery-schedule.js';
import type { MetricContinuity } from './metric-series.js';
import type { GzipImage } from './gzip-image.js';


/**
 * One encoding of one frame: the request bytes and their patch sites. Sites are
 * interleaved in one Uint32Array per kind, in byte order, so the stamp loops read
 * memory sequentially:
 * - `traceIds`: [offset, word index of the group's new id (group × 4)] per site
 * - `spanIds`:  [offset, group × 2] per site
 * - `times`:    [offset, unit, relA, relB] per site, where the relative time is
 *   relB·2^32 + relA (proto: low/high halves) or relB·1e9 + relA (json: sec/nsec),
 *   whichever the encoding writes without further arithmetic.
 */
export interface EncodedFrame {
  bytes: Buffer;
  traceIds: Uint32Array;
  spanIds: Uint32Array;
  times: Uint32Array;
  /** Per digit field of the plan: offsets of its first digit, ascending. */
  digits: Uint32Array[];
  /** Metrics continuity (proto only): [offset, value slot] per 8-byte value site. */
  values: Uint32Array;
  /** The gzip member with its sites, built for exporters that send stamped gzip (gzip-image.ts). */
  gzip?: GzipImage;
}

export const TIME_STRIDE = 4;

export interface Frame {
  /** Spans, data points or log records in this request. */
  events: number;
  /**
   * Time units (traces for spans, else single log records / data points) with sites in
   * this frame, in order of first appearance: their bases are fixed once per cycle.
   */
  units: Uint32Array;
  /** When this frame is due, in ms after the start of its cycle (a paced template); absent = as soon as possible. */
  dueMs?: number;
  /** Encoded bytes per compiled encoding. */
  byteLength: Partial<Record<Encoding, number>>;
  proto?: EncodedFrame;
  json?: EncodedFrame;
}

export interface CompiledTemplate {
  signal: Signal;
  encodings: readonly Encoding[];
  frames: Frame[];
  totalEvents: number;
  maxFrameEvents: number;
  /** Largest frame over all encodings: the size of a pooled send buffer. */
  maxFrameBytes: number;
  idRegen: boolean;
  timestamps: boolean;
  /** Original trace ids, 4 little-endian words per group; group = index / 4. */
  traceGroups: Uint32Array;
  /** Original span ids, 2 little-endian words per group. */
  spanGroups: Uint32Array;
  /** Number of time units (see Frame.units). */
  unitCount: number;
  /** Per time unit: its latest relative time (ns) past its base, for `timestamp.align: end`. */
  unitEnds: Float64Array;
  /** A paced template's cycle length in ms: the next cycle's frames are due from the start of this one + it. */
  cycleMs?: number;
  /** Width of each digit field (cardinality); its sites are in EncodedFrame.digits. */
  digitWidths: number[];
  /** With delivery: when each frame is due in its cycle and where each trace starts; frames are in due order. */
  schedule?: DeliverySchedule;
  /** Metrics continuity (timestamp): series, start units and value slots; null otherwise. */
  continuity: MetricContinuity | null;
}
