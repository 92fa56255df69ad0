import { drawJitter } from './jitter.js';
import { baseTime, NS_PER_S, toHiLo } from './time.js';
import type { CompiledTemplate, EncodedFrame, Frame } from '../compile/frame.js';
import type { Encoding } from '../otlp/signals.js';
import { senderWord } from './id-derive.js';
import { IdSource } from './id-source.js';
import type { SentTraces } from './sent-traces.js';
import { Continuity } from './continuity.js';
import { copyHex, patchDigits, patchJsonValues, patchValues, writeDigits } from './site-writers.js';
import { TWO32 } from '../otlp/wire/write.js';

export interface StamperOptions {
  /** Two uint32 words; pipelines that must stay correlated (traces + logs) share it. */
  seed: readonly [number, number];
  /** This process's replica index (service.replicas), default 0: ids and jitter are keyed by it too. */
  replica?: number;
  worker: number;
  backdateMs: number;
  /** Place each trace so its last end is at now − backdate (timestamp's `align: end`), not its start. */
  alignEnd?: boolean;
  /**
   * A logs or metrics pipeline's link to the traces pipeline of its receiver: new ids are
   * those of the latest traces cycle sent completely, so every trace_id/span_id names a
   * span that exists (see sent-traces.ts). Absent: ids of its own (seed, sender, cycle).
   */
  sentTraces?: SentTraces;
  /** Stream mode: the chunk of the template this Stamper serves (its units are numbered per chunk), so each chunk draws its own jitter. */
  chunk?: number;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
  /** Metrics continuity: a cycle's times advance at least this far (timestamp's `metrics_interval`); used when compiled with continuity. */
  metricsIntervalMs?: number;
}

/** What processors' cycle hooks set for the coming cycle (src/processors/processor.ts). */
export interface CycleControls {
  /** New ids for every id group (id_regen). */
  newIds(): void;
  /** A new jitter in [0, maxMs] per trace, log record or data point (jitter). */
  drawJitter(maxMs: number): void;
  /** The value written into digit field `field` (cardinality), as zero-padded digits. */
  setDigits(field: number, value: number): void;
}

/**
 * Produces send-ready request bytes: writes every patch site of a frame, in a copy or
 * where the frame lies. This is the only per-send work, so the loops below are kept flat: typed
 * arrays, DataView little-endian writes, no allocation besides one DataView per call.
 */
export class Stamper implements CycleControls {
  private readonly compiled: CompiledTemplate;
  private readonly idRegen: boolean;
  private readonly timestamps: boolean;
  private readonly backdateMs: number;
  /** Per unit: how far back its base goes besides jitter (its latest relative time, with align: end). */
  private readonly shift: Float64Array;
  private readonly now: () => number;
  private readonly seed: readonly [number, number];
  /** The sender word of the id and jitter keys: replica and worker (see senderWord). */
  private readonly sender: number;
  private readonly chunk: number;
  private readonly ids: IdSource;
  private readonly sentTraces: SentTraces | undefined;
  /** Per time unit: jitter of this cycle (ns), and its base as sec/nsec and as fixed64 lo/hi. */
  private readonly jitter: Float64Array;
  private readonly baseSec: Float64Array;
  private readonly baseNsec: Float64Array;
  private readonly baseLoHi: Uint32Array;
  /** Per unit: the epoch its base was fixed in; a unit keeps its base for the whole cycle. */
  private readonly unitEpoch: Uint32Array;
  private epoch = 0;
  private cycle = 0;
  /** With a delivery schedule: the cycle's origin (wall ms) its traces' start offsets count from. */
  private origin: number | undefined;
  /** Per digit field: the ASCII digits written this cycle. */
  private readonly digits: Uint8Array[];
  /** Metrics continuity: fixes every base and value once per cycle instead of per frame. */
  private readonly continuity: Continuity | null;
  private continuityEpoch = 0;
  private jitterMaxMs = 0;

  constructor(compiled: CompiledTemplate, opts: StamperOptions) {
    const { seed, worker, backdateMs, replica = 0 } = opts;
    if (!Array.isArray(seed) || seed.length !== 2 || !seed.every((w) => Number.isInteger(w) && w >= 0 && w < TWO32)) {
      throw new RangeError('Stamper: seed must be a pair of uint32');
    }
    if (!(backdateMs >= 0 && Number.isFinite(backdateMs))) throw new RangeError(`Stamper: backdateMs must be ≥ 0, got ${backdateMs}`);
    // What is patched is what the template was compiled with: sites exist for nothing else.
    this.compiled = compiled;
    this.idRegen = compiled.idRegen;
    this.timestamps = compiled.timestamps;
    this.backdateMs = backdateMs;
    this.shift = opts.alignEnd ? compiled.unitEnds : new Float64Array(compiled.unitCount);
    this.now = opts.now ?? Date.now;
    this.seed = [seed[0], seed[1]];
    this.sender = senderWord(replica, worker);
    this.chunk = opts.chunk ?? 0;
    this.ids = new IdSource(compiled.traceGroups, compiled.spanGroups, this.seed, this.sender);
    this.sentTraces = opts.sentTraces;
    const units = compiled.unitCount;
    this.jitter = new Float64Array(units);
    this.baseSec = new Float64Array(units);
    this.baseNsec = new Float64Array(units);
    this.baseLoHi = new Uint32Array(units * 2);
    this.unitEpoch = new Uint32Array(units);
    this.digits = compiled.digitWidths.map((w) => new Uint8Array(w).fill(48));
    this.continuity = compiled.continuity && compiled.timestamps ? new Continuity(compiled.continuity, opts.metricsIntervalMs ?? 0, this.seed, this.sender) : null;
    this.beginCycle(0);
  }

  /**
   * Starts a replay cycle: bases are re-fixed on first use; the cycle hooks then set ids,
   * jitter and digits. A template compiled with a delivery schedule is stamped for the
   * cycle that starts at `originMs` (wall clock): each trace's base is the origin plus its
   * start offset, whenever its frames go, so frames of overlapping cycles keep their own
   * cycle's times (and, with one Stamper per cycle, ids).
   */
  beginCycle(cycle: number, originMs?: number): void {
    if (!Number.isInteger(cycle) || cycle < 0 || cycle >= TWO32) throw new RangeError(`Stamper: cycle must be a uint32, got ${cycle}`);
    if (originMs !== undefined && !this.compiled.schedule) throw new RangeError('Stamper: a cycle origin needs a template compiled with a delivery schedule');
    this.epoch++;
    this.cycle = cycle;
    this.origin = originMs;
  }

  newIds(): void {
    if (!this.idRegen) throw new RangeError('Stamper: new ids need a template compiled with idRegen');
    const sent = this.sentTraces?.latest();
    if (sent) this.ids.follow(sent);
    else this.ids.cycle(this.cycle);
  }

  drawJitter(maxMs: number): void {
    if (!(maxMs >= 0 && Number.isFinite(maxMs))) throw new RangeError(`Stamper: jitter must be ≥ 0 ms, got ${maxMs}`);
    // Without time sites there is nothing to move (config order checks prevent it).
    if (this.timestamps) drawJitter(this.jitter, maxMs, this.seed, this.sender, this.cycle, this.chunk);
    this.jitterMaxMs = maxMs;
  }

  /**
   * Wall-clock ms (since the epoch) before which this cycle's times would lie in the
   * future: with metrics continuity a cycle's times advance at least the interval past
   * the previous cycle's, and the worker waits for this moment before the cycle's first
   * send. 0 = no need to wait.
   */
  dueAt(): number {
    return this.continuity?.dueAt(this.backdateMs, this.jitterMaxMs) ?? 0;
  }

  setDigits(field: number, value: number): void {
    const d = this.digits[field];
    if (!d) throw new RangeError(`Stamper: no digit field ${field}`);
    if (!Number.isInteger(value) || value < 0 || value >= 10 ** d.length) throw new RangeError(`Stamper: ${value} does not fit ${d.length} digits`);
    for (let k = d.length - 1; k >= 0; k--) {
      d[k] = 48 + (value % 10);
      value = Math.floor(value / 10);
    }
  }

  /** Copies frame `frameIndex` in `encoding` into `out`, writes every site; returns the byte length. */
  stamp(frameIndex: number, encoding: Encoding, out: Buffer): number {
    const frame = this.compiled.frames[frameIndex];
    if (!frame?.[encoding]) throw new RangeError(`Stamper: no frame ${frameIndex} in ${encoding} encoding`);
    return this.stampFrame(frame, encoding, out);
  }

  /** As `stamp`, for a frame of this compile held elsewhere (stream mode reads frames from disk). */
  stampFrame(frame: Frame, encoding: Encoding, out: Buffer): number {
    const enc = frame[encoding];
    if (!enc) throw new RangeError(`Stamper: frame has no ${encoding} encoding`);
    const bytes = enc.bytes;
    if (out.length < bytes.length) throw new RangeError(`Stamper: buffer of ${out.length} bytes for a ${bytes.length}-byte frame`);
    bytes.copy(out, 0);
    this.patch(frame, encoding, enc, out);
    return bytes.length;
  }

  /**
   * Stamps a frame held elsewhere in its own bytes, which it returns: every site is
   * rewritten from this cycle's tables (never from what the bytes hold), so a frame
   * stamped again later is stamped exactly as a fresh copy would be. Stream mode's read
   * buffers are used this way, one copy per request fewer.
   */
  stampFrameInPlace(frame: Frame, encoding: Encoding): Buffer {
    const enc = frame[encoding];
    if (!enc) throw new RangeError(`Stamper: frame has no ${encoding} encoding`);
    this.patch(frame, encoding, enc, enc.bytes);
    return enc.bytes;
  }

  /** Writes every site of `enc` (frame's bytes in `encoding`) into `out`, which holds those bytes. */
  private patch(frame: Frame, encoding: Encoding, enc: EncodedFrame, out: Buffer): void {
    const cont = this.continuity;
    if (cont) {
      if (this.continuityEpoch !== this.epoch) {
        this.continuityEpoch = this.epoch;
        cont.fix(this.now(), this.backdateMs, this.jitterMaxMs, this.shift, this.jitter, { baseSec: this.baseSec, baseNsec: this.baseNsec, baseLoHi: this.baseLoHi });
      }
    } else if (this.timestamps) this.fixBases(frame);
    if (encoding === 'proto') this.patchProto(enc.traceIds, enc.spanIds, enc.times, out);
    else this.patchJson(enc.traceIds, enc.spanIds, enc.times, out);
    if (cont) {
      if (encoding === 'proto') patchValues(cont.words, enc.values, out);
      else if (enc.values.length > 0) patchJsonValues(cont.jsonText(), enc.values, out);
    }
    for (let f = 0; f < enc.digits.length; f++) patchDigits(this.digits[f]!, enc.digits[f]!, out);
  }

  /**
   * Fixes the base of every unit first seen in this cycle: now − backdate, read once per
   * frame, minus the unit's jitter. A trace split across frames keeps the base of the
   * frame it first appeared in, so its durations and parent/child containment stay exact.
   */
  private fixBases(frame: Frame): void {
    const units = frame.units;
    const epoch = this.epoch;
    const starts = this.origin === undefined ? undefined : this.compiled.schedule!.unitStartMs;
    let fb: { sec: number; nsec: number } | undefined;
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      if (this.unitEpoch[u] === epoch) continue;
      this.unitEpoch[u] = epoch;
      // Scheduled: no span of the trace is due before it ends, so none ends after it is sent.
      if (starts) fb = baseTime(this.origin! + starts[u]!, this.backdateMs);
      else fb ??= baseTime(this.now(), this.backdateMs);
      let sec = fb.sec;
      let nsec = fb.nsec;
      const j = this.jitter[u]! + (starts ? 0 : this.shift[u]!);
      if (j > 0) {
        const js = Math.floor(j / NS_PER_S);
        sec -= js;
        nsec -= j - js * NS_PER_S;
        if (nsec < 0) {
          nsec += NS_PER_S;
          sec -= 1;
        }
      }
      this.baseSec[u] = sec;
      this.baseNsec[u] = nsec;
      toHiLo(sec, nsec, this.baseLoHi, u * 2);
    }
  }

  private patchProto(traceSites: Uint32Array, spanSites: Uint32Array, timeSites: Uint32Array, out: Buffer): void {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (this.idRegen) {
      const t = this.ids.trace;
      for (let i = 0; i < traceSites.length; i += 2) {
        const at = traceSites[i]!;
        const w = traceSites[i + 1]!;
        dv.setUint32(at, t[w]!, true);
        dv.setUint32(at + 4, t[w + 1]!, true);
        dv.setUint32(at + 8, t[w + 2]!, true);
        dv.setUint32(at + 12, t[w + 3]!, true);
      }
      const s = this.ids.span;
      for (let i = 0; i < spanSites.length; i += 2) {
        const at = spanSites[i]!;
        const w = spanSites[i + 1]!;
        dv.setUint32(at, s[w]!, true);
        dv.setUint32(at + 4, s[w + 1]!, true);
      }
    }
    if (this.timestamps) {
      const base = this.baseLoHi;
      // 64-bit add as two uint32 halves with carry: ns since the epoch exceed 2^53.
      for (let i = 0; i < timeSites.length; i += 4) {
        const u2 = timeSites[i + 1]! * 2;
        let lo = base[u2]! + timeSites[i + 2]!;
        let hi = base[u2 + 1]! + timeSites[i + 3]!;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
        const at = timeSites[i]!;
        dv.setUint32(at, lo, true);
        dv.setUint32(at + 4, hi, true);
      }
    }
  }

  /** JSON holds ids as fixed-width hex and times as 19 decimal digits (10 of seconds, 9 of ns). */
  private patchJson(traceSites: Uint32Array, spanSites: Uint32Array, timeSites: Uint32Array, out: Buffer): void {
    if (this.idRegen) {
      copyHex(this.ids.traceHex(), traceSites, 32, out);
      copyHex(this.ids.spanHex(), spanSites, 16, out);
    }
    if (this.timestamps) {
      const bs = this.baseSec, bn = this.baseNsec;
      for (let i = 0; i < timeSites.length; i += 4) {
        const u = timeSites[i + 1]!;
        let nsec = bn[u]! + timeSites[i + 2]!;
        let sec = bs[u]! + timeSites[i + 3]!;
        if (nsec >= NS_PER_S) {
          nsec -= NS_PER_S;
          sec += 1;
        }
        const at = timeSites[i]!;
        writeDigits(out, at, sec, 10);
        writeDigits(out, at + 10, nsec, 9);
      }
    }
  }
}
