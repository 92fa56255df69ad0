/**
 * Frames read from a frame file as the send loop reaches them (stream mode): a few
 * frames are read ahead into pooled buffers on the thread pool, so the loop rarely waits
 * for the disk, and memory holds those buffers and the current chunk's tables, never
 * the template.
 *
 * A frame is stamped where it was read and sent from there (a copy into a send buffer
 * would be a second copy of every byte after the read's): its buffer is lent to the
 * request until the send settles, and goes back to the pool only then. A frame whose
 * earlier request is still in flight (a template of fewer frames than requests in
 * flight) is stamped into a send buffer instead, leaving those bytes alone.
 *
 * Each chunk was compiled on its own, so each gets its own Stamper when the loop enters
 * it; what the processors' cycle hooks set for the cycle (new ids, jitter, digit
 * values) is recorded and applied to every chunk's Stamper in turn.
 */
import type { CompiledTemplate, Frame } from '../compile/frame.js';
import type { ChunkTables, FrameFile } from '../compile/frame-file.js';
import type { Encoding } from '../otlp/signals.js';
import { type CycleControls, Stamper, type StamperOptions } from '../stamp/stamper.js';
import { stampedInto, type FrameSource, type StampedRequest } from './frame-source.js';
import type { SendBufferPool } from './send-buffer-pool.js';

/** Bytes of frames read ahead: enough to cover the disk's latency at full rate, small beside the 400 MB budget. */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;
const MIN_READ_AHEAD = 2;
const MAX_READ_AHEAD = 16;

interface Pending {
  buf: Buffer;
  read: Promise<Frame>;
  frame?: Frame;
  /** Left the read-ahead window while being read or lent: its buffer goes back once the read and every request settle. */
  dropped?: boolean;
  /** Encodings whose stamped bytes are lent to a request in flight. */
  lent: Set<Encoding>;
}

export class StreamedFrames implements FrameSource {
  readonly count: number;
  readonly maxFrameBytes: number;
  private readonly depth: number;
  private readonly free: Buffer[] = [];
  private readonly pending = new Map<number, Pending>();
  /** The chunk whose Stamper is current, and the one being read ahead. */
  private chunk = -1;
  private stamper: Stamper | undefined;
  private next: { chunk: number; tables: Promise<ChunkTables> } | undefined;
  /** What this cycle's hooks asked for, and whether the current Stamper has it yet. */
  private cycle = 0;
  private ids = false;
  private jitterMs: number | undefined;
  private readonly digits = new Map<number, number>();
  private applied = false;
  private readonly controls: CycleControls;

  constructor(private readonly file: FrameFile, private readonly opts: StamperOptions) {
    this.count = file.frameCount;
    this.maxFrameBytes = file.meta.maxFrameBytes;
    this.depth = Math.min(this.count, Math.max(MIN_READ_AHEAD, Math.min(MAX_READ_AHEAD, Math.floor(READ_AHEAD_BYTES / file.meta.maxRecordBytes))));
    this.controls = {
      newIds: () => {
        if (!file.meta.idRegen) throw new RangeError('Stamper: new ids need a template compiled with idRegen');
        this.ids = true;
      },
      drawJitter: (maxMs) => {
        if (!(maxMs >= 0 && Number.isFinite(maxMs))) throw new RangeError(`Stamper: jitter must be ≥ 0 ms, got ${maxMs}`);
        this.jitterMs = maxMs;
      },
      setDigits: (field, value) => {
        const w = file.meta.digitWidths[field];
        if (w === undefined) throw new RangeError(`Stamper: no digit field ${field}`);
        if (!Number.isInteger(value) || value < 0 || value >= 10 ** w) throw new RangeError(`Stamper: ${value} does not fit ${w} digits`);
        this.digits.set(field, value);
      },
    };
  }

  events(i: number): number {
    return this.file.events(i);
  }

  /** Trace ids are per chunk; a follower waits for its traces pipeline as with any traces data. */
  readonly namesTraces = true;
  /** A frame file keeps template order: never paced. */
  readonly cycleMs = undefined;

  dueMs(): undefined {
    return undefined;
  }

  dueAt(): number {
    return 0;
  }

  /** No gzip image for a frame read from disk: its exporter compresses the request itself. */
  gzipImage(): undefined {
    return undefined;
  }

  beginCycle(cycle: number): CycleControls {
    this.cycle = cycle;
    this.ids = false;
    this.jitterMs = undefined;
    this.digits.clear();
    this.applied = false;
    return this.controls;
  }

  ready(i: number): Promise<void> | undefined {
    for (const [j, p] of this.pending) {
      if ((j - i + this.count) % this.count < this.depth) continue;
      this.pending.delete(j);
      if (p.frame && p.lent.size === 0) this.free.push(p.buf);
      else p.dropped = true;
    }
    for (let k = 0; k < this.depth; k++) {
      const j = (i + k) % this.count;
      if (!this.pending.has(j)) this.issue(j);
    }
    const p = this.pending.get(i)!;
    if (p.frame && this.file.chunk(i) === this.chunk) return undefined;
    return this.prepare(i, p);
  }

  stamp(i: number, encoding: Encoding, pool: SendBufferPool): StampedRequest {
    const p = this.pending.get(i);
    const frame = p?.frame;
    if (!p || !frame || !this.stamper || this.file.chunk(i) !== this.chunk) throw new RangeError(`StreamedFrames: frame ${i} is not ready`);
    if (!this.applied) this.apply(this.stamper);
    const stamper = this.stamper;
    if (p.lent.has(encoding)) return stampedInto(pool, (out) => stamper.stampFrame(frame, encoding, out));
    p.lent.add(encoding);
    return {
      bytes: stamper.stampFrameInPlace(frame, encoding),
      release: () => {
        p.lent.delete(encoding);
        if (p.dropped && p.lent.size === 0) this.free.push(p.buf);
      },
    };
  }

  summary(encoding: Encoding): { frames: number; events: number; bytes: number } {
    let bytes = 0;
    for (let i = 0; i < this.count; i++) bytes += this.file.byteLength(i, encoding);
    return { frames: this.count, events: this.file.meta.totalEvents, bytes };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].map((p) => p.read));
    this.pending.clear();
    await this.file.close();
  }

  private issue(j: number): void {
    const buf = this.free.pop() ?? Buffer.allocUnsafeSlow(this.file.meta.maxRecordBytes);
    const p: Pending = { buf, read: this.file.readFrame(j, buf), lent: new Set() };
    p.read.then(
      (frame) => {
        if (p.dropped) this.free.push(buf);
        else p.frame = frame;
      },
      () => undefined, // surfaces from ready()
    );
    this.pending.set(j, p);
    const c = this.file.chunk(j);
    if (c !== this.chunk && this.next?.chunk !== c) this.next = { chunk: c, tables: this.file.readChunk(c) };
  }

  private async prepare(i: number, p: Pending): Promise<void> {
    p.frame ??= await p.read;
    const c = this.file.chunk(i);
    if (c === this.chunk) return;
    const tables = await (this.next?.chunk === c ? this.next.tables : this.file.readChunk(c));
    if (this.next?.chunk === c) this.next = undefined;
    this.chunk = c;
    this.stamper = new Stamper(this.compiledChunk(c, tables), { ...this.opts, chunk: c });
    this.applied = false;
  }

  /** What a Stamper needs of a compile, for one chunk (its frames are read separately). */
  private compiledChunk(c: number, t: ChunkTables): CompiledTemplate {
    const m = this.file.meta;
    return {
      signal: m.signal, encodings: m.encodings, frames: [], totalEvents: 0, maxFrameEvents: m.maxFrameEvents, maxFrameBytes: m.maxFrameBytes,
      idRegen: m.idRegen, timestamps: m.timestamps, traceGroups: t.traceGroups, spanGroups: t.spanGroups,
      unitCount: m.chunks[c]!.units, unitEnds: t.unitEnds, digitWidths: m.digitWidths, continuity: null,
    };
  }

  private apply(s: Stamper): void {
    s.beginCycle(this.cycle);
    if (this.ids) s.newIds();
    if (this.jitterMs !== undefined) s.drawJitter(this.jitterMs);
    for (const [f, v] of this.digits) s.setDigits(f, v);
    this.applied = true;
  }
}
