/**
 * The on-disk frame file of stream mode: a template compiled chunk by chunk, each chunk's
 * id groups and time units followed by its frames (bytes and patch sites per encoding),
 * so a replay reads one frame at a time and never holds the template.
 *
 * Layout (little-endian): MAGIC, then records, then the frame table (FRAME_FIELDS
 * float64 per frame), then the meta (JSON), then the trailer: meta length (u32), frame
 * count (u32), table offset (f64), MAGIC. A record is a u32 section count, a u32 byte
 * length per section, then the sections, each starting at a multiple of 8 within the
 * record so typed-array views of a record read into an 8-aligned buffer need no copy.
 * A file without its trailer (a build that died) is simply not a frame file.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { TemplateError } from '../errors.js';
import type { Encoding, Signal } from '../otlp/signals.js';
import type { CompiledTemplate, EncodedFrame, Frame } from './frame.js';

const MAGIC = Buffer.from('ORDFRAM1', 'latin1');
const TRAILER = 4 + 4 + 8 + MAGIC.length;
/** Per frame: record offset, record length, events, chunk, proto bytes, json bytes. */
const FRAME_FIELDS = 6;
/** Frame files carry no metrics-continuity value sites (stream mode does not apply continuity). */
const NO_VALUES = new Uint32Array(0);

/** What a frame file holds besides its frames; `key` names the template and compile options it was built from. */
export interface FrameFileMeta {
  key: string;
  /** The template it was built from, as it was then: a later build for a changed template removes it. */
  template: { file: string; size: number; mtimeMs: number };
  signal: Signal;
  encodings: Encoding[];
  idRegen: boolean;
  timestamps: boolean;
  digitWidths: number[];
  totalEvents: number;
  maxFrameEvents: number;
  maxFrameBytes: number;
  /** Largest record (frame or chunk tables): the size of a read buffer. */
  maxRecordBytes: number;
  /** Per chunk: offset and length of its tables record, its unit count. */
  chunks: { at: number; length: number; units: number }[];
  /** Loading's warnings, as a run logs them. */
  warnings: { source: string; message: string }[];
  /** The template held relative times and the pipeline had no timestamp processor: times were compiled as timestamp would. */
  implicitTimestamps?: { source: string };
}

/** A chunk's tables: what its frames' sites point into. */
export interface ChunkTables {
  traceGroups: Uint32Array;
  spanGroups: Uint32Array;
  unitEnds: Float64Array;
}

type View = Uint8Array | Uint32Array | Float64Array;

function record(sections: View[]): Buffer[] {
  const head = Buffer.alloc(pad8(4 + 4 * sections.length));
  head.writeUInt32LE(sections.length, 0);
  const out: Buffer[] = [head];
  sections.forEach((s, k) => {
    head.writeUInt32LE(s.byteLength, 4 + 4 * k);
    out.push(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
    if (pad8(s.byteLength) > s.byteLength) out.push(Buffer.alloc(pad8(s.byteLength) - s.byteLength));
  });
  return out;
}

/** Byte ranges of a record's sections within `buf` (which holds the record from 0). */
function sections(buf: Buffer, length: number): [number, number][] {
  const n = buf.readUInt32LE(0);
  let at = pad8(4 + 4 * n);
  const out: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const len = buf.readUInt32LE(4 + 4 * k);
    if (at + len > length) throw new RangeError('record section runs past the record');
    out.push([at, at + len]);
    at += pad8(len);
  }
  return out;
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Writes a frame file synchronously (the compile that feeds it is synchronous work anyway). */
export class FrameFileWriter {
  private readonly fd: number;
  private at = 0;
  private readonly table: number[] = [];
  private readonly chunks: FrameFileMeta['chunks'] = [];
  private totalEvents = 0;
  private maxFrameEvents = 0;
  private maxFrameBytes = 0;
  private maxRecordBytes = 0;
  private idRegen = false;
  private timestamps = false;
  private digitWidths: number[] = [];

  constructor(readonly path: string, private readonly signal: Signal, private readonly encodings: Encoding[]) {
    this.fd = openSync(path, 'w');
    this.write([MAGIC]);
  }

  /** Appends one compiled chunk: its tables, then its frames. */
  addChunk(c: CompiledTemplate): void {
    this.idRegen = c.idRegen;
    this.timestamps = c.timestamps;
    this.digitWidths = c.digitWidths;
    const chunk = this.chunks.length;
    const tablesAt = this.at;
    this.chunks.push({ at: tablesAt, length: this.writeRecord([c.traceGroups, c.spanGroups, c.unitEnds]), units: c.unitCount });
    for (const f of c.frames) {
      const parts: View[] = [f.units];
      for (const enc of this.encodings) {
        const e = f[enc]!;
        parts.push(e.bytes, e.traceIds, e.spanIds, e.times, ...e.digits);
      }
      const at = this.at;
      const length = this.writeRecord(parts);
      this.table.push(at, length, f.events, chunk, f.byteLength.proto ?? 0, f.byteLength.json ?? 0);
    }
    this.totalEvents += c.totalEvents;
    this.maxFrameEvents = Math.max(this.maxFrameEvents, c.maxFrameEvents);
    this.maxFrameBytes = Math.max(this.maxFrameBytes, c.maxFrameBytes);
  }

  /** Writes the table, meta and trailer and closes the file (flushed to disk: a reused cache must be whole). */
  finish(key: string, extra: Pick<FrameFileMeta, 'template' | 'warnings' | 'implicitTimestamps'>): FrameFileMeta {
    const meta: FrameFileMeta = {
      key, signal: this.signal, encodings: this.encodings, idRegen: this.idRegen, timestamps: this.timestamps, digitWidths: this.digitWidths,
      totalEvents: this.totalEvents, maxFrameEvents: this.maxFrameEvents, maxFrameBytes: this.maxFrameBytes, maxRecordBytes: this.maxRecordBytes,
      chunks: this.chunks, ...extra,
    };
    const tableAt = this.at;
    const json = Buffer.from(JSON.stringify(meta));
    const trailer = Buffer.alloc(TRAILER);
    trailer.writeUInt32LE(json.length, 0);
    trailer.writeUInt32LE(this.table.length / FRAME_FIELDS, 4);
    trailer.writeDoubleLE(tableAt, 8);
    MAGIC.copy(trailer, 16);
    this.write([Buffer.from(new Float64Array(this.table).buffer), json, trailer]);
    fsyncSync(this.fd);
    closeSync(this.fd);
    return meta;
  }

  /** Closes without finishing (the caller removes the file). */
  abort(): void {
    closeSync(this.fd);
  }

  private writeRecord(sections: View[]): number {
    const n = this.write(record(sections));
    this.maxRecordBytes = Math.max(this.maxRecordBytes, n);
    return n;
  }

  private write(parts: Buffer[]): number {
    let n = 0;
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(this.fd, p, off, p.length - off, this.at + n + off);
      n += p.length;
    }
    this.at += n;
    return n;
  }
}

/** An open frame file: its meta and frame table in memory, records read on demand. */
export class FrameFile {
  private constructor(
    private readonly fh: FileHandle,
    readonly meta: FrameFileMeta,
    /** FRAME_FIELDS per frame. */
    private readonly table: Float64Array,
    /** Per chunk: its first frame. */
    readonly chunkFirst: number[],
  ) {}

  /**
   * Opens `path` if it is a whole frame file built with `key`; throws TemplateError
   * (ERR_TEMPLATE_CACHE) saying why not, or the fs error (ENOENT: not built yet).
   */
  static async open(path: string, key: string): Promise<FrameFile> {
    const fh = await open(path, 'r');
    try {
      const bad = (why: string) => new TemplateError(`frame file ${why}`, { file: path, code: 'ERR_TEMPLATE_CACHE' });
      const { frames, tableAt, meta } = await readTail(fh, bad);
      if (meta.key !== key) throw bad('was built from another template or other options');
      const tableLen = frames * FRAME_FIELDS * 8;
      const tail = await readExactly(fh, Buffer.allocUnsafeSlow(tableLen), tableLen, tableAt);
      const table = new Float64Array(tail.buffer, tail.byteOffset, frames * FRAME_FIELDS);
      const chunkFirst: number[] = [];
      for (let i = 0; i < frames; i++) {
        const at = table[i * FRAME_FIELDS]!, len = table[i * FRAME_FIELDS + 1]!, chunk = table[i * FRAME_FIELDS + 3]!;
        if (at + len > tableAt || len > meta.maxRecordBytes) throw bad('has a frame outside its records');
        chunkFirst[chunk] ??= i;
      }
      if (frames === 0 || chunkFirst.length !== meta.chunks.length) throw bad('has no frames or a chunk without frames');
      return new FrameFile(fh, meta, table, chunkFirst);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get frameCount(): number {
    return this.table.length / FRAME_FIELDS;
  }

  events(i: number): number {
    return this.table[i * FRAME_FIELDS + 2]!;
  }

  chunk(i: number): number {
    return this.table[i * FRAME_FIELDS + 3]!;
  }

  byteLength(i: number, enc: Encoding): number {
    return this.table[i * FRAME_FIELDS + (enc === 'proto' ? 4 : 5)]!;
  }

  /** Reads frame `i` into `buf` (8-aligned, at least meta.maxRecordBytes); the frame's arrays are views of `buf`. */
  async readFrame(i: number, buf: Buffer): Promise<Frame> {
    const at = this.table[i * FRAME_FIELDS]!, len = this.table[i * FRAME_FIELDS + 1]!;
    await readExactly(this.fh, buf, len, at);
    const s = sections(buf, len);
    const u32 = ([a, b]: [number, number]) => new Uint32Array(buf.buffer, buf.byteOffset + a, (b - a) / 4);
    const frame: Frame = { events: this.events(i), units: u32(s[0]!), byteLength: {} };
    const digits = this.meta.digitWidths.length;
    let k = 1;
    for (const enc of this.meta.encodings) {
      const [bs, be] = s[k]!;
      const e: EncodedFrame = { bytes: buf.subarray(bs, be), traceIds: u32(s[k + 1]!), spanIds: u32(s[k + 2]!), times: u32(s[k + 3]!), values: NO_VALUES, digits: [] };
      for (let d = 0; d < digits; d++) e.digits.push(u32(s[k + 4 + d]!));
      k += 4 + digits;
      frame[enc] = e;
      frame.byteLength[enc] = be - bs;
    }
    return frame;
  }

  /** Reads chunk `c`'s tables into fresh arrays (they outlive read buffers). */
  async readChunk(c: number): Promise<ChunkTables> {
    const { at, length } = this.meta.chunks[c]!;
    const buf = await readExactly(this.fh, Buffer.allocUnsafeSlow(length), length, at);
    const [t, sp, u] = sections(buf, length) as [[number, number], [number, number], [number, number]];
    return {
      traceGroups: new Uint32Array(buf.buffer, t[0], (t[1] - t[0]) / 4),
      spanGroups: new Uint32Array(buf.buffer, sp[0], (sp[1] - sp[0]) / 4),
      unitEnds: new Float64Array(buf.buffer, u[0], (u[1] - u[0]) / 8),
    };
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Reads only a frame file's meta; undefined if it is not a whole frame file. */
export async function readFrameFileMeta(path: string): Promise<FrameFileMeta | undefined> {
  const fh = await open(path, 'r');
  try {
    return (await readTail(fh, (why) => new TemplateError(why, { code: 'ERR_TEMPLATE_CACHE' }))).meta;
  } catch (err) {
    if (err instanceof TemplateError) return undefined;
    throw err;
  } finally {
    await fh.close();
  }
}

/** The trailer and meta of a frame file, checked against the file's size. */
async function readTail(fh: FileHandle, bad: (why: string) => TemplateError): Promise<{ frames: number; tableAt: number; meta: FrameFileMeta }> {
  const size = (await fh.stat()).size;
  if (size < MAGIC.length + TRAILER) throw bad('is truncated');
  const trailer = await readExactly(fh, Buffer.alloc(TRAILER), TRAILER, size - TRAILER);
  const head = await readExactly(fh, Buffer.alloc(MAGIC.length), MAGIC.length, 0);
  if (!head.equals(MAGIC) || !trailer.subarray(16).equals(MAGIC)) throw bad('is truncated or not a frame file');
  const jsonLen = trailer.readUInt32LE(0), frames = trailer.readUInt32LE(4), tableAt = trailer.readDoubleLE(8);
  const tableLen = frames * FRAME_FIELDS * 8;
  if (tableAt + tableLen + jsonLen + TRAILER !== size) throw bad('has an inconsistent trailer');
  const json = await readExactly(fh, Buffer.alloc(jsonLen), jsonLen, tableAt + tableLen);
  try {
    return { frames, tableAt, meta: JSON.parse(json.toString('utf8')) as FrameFileMeta };
  } catch {
    throw bad('has an unreadable meta block');
  }
}

async function readExactly(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<Buffer> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new TemplateError(`frame file ended early (${got} of ${length} bytes at ${position})`, { code: 'ERR_TEMPLATE_CACHE' });
    got += bytesRead;
  }
  return buf.subarray(0, length);
}
