import { TemplateError } from '../errors.js';
import { CONTAINER_PREFIX } from './packer.js';
import { type EncodedFrame } from './frame.js';
import { U32List } from '../otlp/wire/u32-list.js';
import { isZeroId } from '../otlp/wire/id-table.js';
import { SITE_TRACE_ID } from '../otlp/wire/fields.js';
import { IdGroups } from './id-groups.js';
import { type CopyViews, emit, type SiteSink } from './item-rewrite.js';
import type { SeriesTable } from './metric-series.js';
import type { Container, TemplateIndex } from './template-index.js';
import { fieldLen, TWO32, writeVarint } from '../otlp/wire/write.js';
import { allocWithPrefixRoom } from '../otlp/wire/prefix-room.js';
import type { CompileOptions } from './compile.js';

type Scopes = Map<number, number[] | Map<number, number[]>>;

/** Writes frames (proto) from index items, assigning id groups across the whole compile. */
export class FrameWriter implements SiteSink {
  readonly traceGroups: IdGroups;
  readonly spanGroups: IdGroups;
  private readonly units = new U32List();
  private readonly traceIds = new U32List();
  private readonly spanIds = new U32List();
  private readonly times = new U32List();
  private readonly values = new U32List();
  /** Time units: the index's, and with continuity a start unit per data point after them. */
  readonly unitCount: number;
  /** Per unit: 1 + the frame it was last listed in. */
  private readonly unitFrame: Int32Array;
  /** Per time unit: its latest relative time; per input: the latest of all its units' (see `unitEnds`). */
  private readonly unitLast: Float64Array;
  private readonly unitInput: Int32Array;
  private readonly inputLast: Float64Array;
  private frameNo = 0;
  /** The frame being written, as a plain Uint8Array: item-rewrite writes through it. */
  private view = new Uint8Array(0);
  private item = 0;
  private readonly spans: boolean;
  /** DataViews of the input of the item being copied and of the frame being written. */
  private readonly views: CopyViews = { src: NO_VIEW, out: NO_VIEW };

  constructor(private readonly index: TemplateIndex, private readonly opts: CompileOptions, readonly series: SeriesTable | undefined) {
    this.unitCount = series ? 2 * index.unitCount : index.unitCount;
    this.spans = index.signal === 'traces';
    // The index interned every span's ids already (and links' ids are mostly among them).
    this.traceGroups = new IdGroups(4, index.traceCopies.traces);
    this.spanGroups = new IdGroups(2, index.traceCopies.spanIds);
    this.unitFrame = new Int32Array(this.unitCount);
    this.unitLast = new Float64Array(this.unitCount);
    this.unitInput = new Int32Array(this.unitCount);
    this.inputLast = new Float64Array(index.inputs.length);
  }

  /**
   * Per time unit, how far its latest time lies after its base: a trace's last end (or
   * event), or for log records and data points the latest time of their whole template,
   * whose records keep their spacing. `timestamp.align: end` moves each base back by it.
   */
  unitEnds(): Float64Array {
    if (this.index.signal === 'traces') return this.unitLast;
    const out = new Float64Array(this.unitLast.length);
    for (let u = 0; u < out.length; u++) out[u] = this.inputLast[this.unitInput[u]!]!;
    return out;
  }

  write(items: ArrayLike<number>): { proto: EncodedFrame; units: Uint32Array } {
    const ix = this.index;
    const metrics = ix.signal === 'metrics';
    // resource → scope → items (or metric → points), in first-seen order
    const tree = new Map<number, Scopes>();
    for (let j = 0; j < items.length; j++) {
      const i = items[j]!;
      let scopes = tree.get(ix.resource(i));
      if (!scopes) tree.set(ix.resource(i), (scopes = new Map()));
      let kids = scopes.get(ix.scope(i));
      if (!kids) scopes.set(ix.scope(i), (kids = metrics ? new Map<number, number[]>() : []));
      if (Array.isArray(kids)) kids.push(i);
      else {
        const points = kids.get(ix.metric(i));
        if (points) points.push(i);
        else kids.set(ix.metric(i), [i]);
      }
    }
    const sizes = new Map<object | number, number>();
    let total = 0;
    for (const [r, scopes] of tree) {
      // Header sizes were measured by the index (plus a worst-case prefix the packer counts).
      let rLen = ix.headerBytes[0][r]! - CONTAINER_PREFIX;
      for (const [s, kids] of scopes) {
        let sLen = ix.headerBytes[1][s]! - CONTAINER_PREFIX;
        if (Array.isArray(kids)) for (const i of kids) sLen += fieldLen(ix.size(i));
        else {
          for (const [m, points] of kids) {
            const mc = ix.metrics[m]!;
            let dLen = mc.dataHeader;
            for (const i of points) dLen += fieldLen(ix.size(i));
            sizes.set(points, dLen);
            sLen += fieldLen(mc.header + fieldLen(dLen));
          }
        }
        sizes.set(kids, sLen);
        rLen += fieldLen(sLen);
      }
      sizes.set(scopes, rLen);
      total += fieldLen(rLen);
    }

    // Room for a gRPC prefix in front: the exporter frames the stamped frame where it lies.
    const out = allocWithPrefixRoom(total);
    this.view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    this.views.out = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.frameNo++;
    let pos = 0;
    for (const [r, scopes] of tree) {
      pos = this.open(0x0a, sizes.get(scopes)!, pos);
      pos = this.copyHeader(ix.resources[r]!, ix.resources[r]!.runs, pos);
      for (const [s, kids] of scopes) {
        pos = this.open(0x12, sizes.get(kids)!, pos);
        pos = this.copyHeader(ix.scopes[s]!, ix.scopes[s]!.runs, pos);
        if (Array.isArray(kids)) {
          for (const i of kids) pos = this.writeItem(0x12, i, pos);
          continue;
        }
        for (const [m, points] of kids) {
          const mc = ix.metrics[m]!;
          const dLen = sizes.get(points)!;
          pos = this.open(0x12, mc.header + fieldLen(dLen), pos);
          pos = this.copyHeader(mc, mc.runs, pos);
          pos = this.open(mc.dataTag, dLen, pos);
          pos = this.copyHeader(mc, mc.dataRuns, pos);
          for (const i of points) pos = this.writeItem(0x0a, i, pos);
        }
      }
    }
    if (pos !== total) throw new Error(`compile: frame size ${pos} differs from its measure ${total}`);
    const proto: EncodedFrame = {
      bytes: out, traceIds: this.traceIds.freeze(), spanIds: this.spanIds.freeze(), times: this.times.freeze(), digits: [], values: this.values.freeze(),
    };
    const units = this.units.freeze();
    for (const list of [this.traceIds, this.spanIds, this.times, this.values, this.units]) list.clear();
    this.view = new Uint8Array(0);
    this.views.out = NO_VIEW;
    return { proto, units };
  }

  /** Copies a container's header: `runs` of its input's bytes (see Container). */
  private copyHeader(c: Container, runs: readonly number[], pos: number): number {
    const buf = this.index.inputs[c.input]!.bytes;
    for (let k = 0; k < runs.length; k += 2) {
      const a = runs[k]!, b = runs[k + 1]!;
      this.view.set(buf.subarray(a, b), pos);
      pos += b - a;
    }
    return pos;
  }

  private open(tag: number, len: number, pos: number): number {
    this.view[pos++] = tag;
    return writeVarint(this.view, pos, len);
  }

  private writeItem(tag: number, i: number, pos: number): number {
    const ix = this.index;
    const input = ix.inputs[ix.input(i)]!;
    this.item = i;
    pos = this.open(tag, ix.size(i), pos);
    this.views.src = input.view;
    const end = emit(ix.spec(i), input.reader, ix.start(i), ix.end(i), this.view, pos, this.opts.timestamps, this, this.views);
    if (end - pos !== ix.size(i)) throw new Error(`compile: item size ${end - pos} differs from its measure ${ix.size(i)}`);
    return end;
  }

  id(kind: number, at: number, len: number, src: Uint8Array, srcAt: number, own: boolean): void {
    if (!this.opts.idRegen || len === 0) return;
    const trace = kind === SITE_TRACE_ID;
    const want = trace ? 16 : 8;
    if (len !== want) {
      throw new TemplateError(`a ${trace ? 'trace' : 'span'} id is ${len} bytes, not ${want}`, { file: this.index.source(this.item), code: 'ERR_TEMPLATE_BAD_ID' });
    }
    if (isZeroId(src, srcAt, want)) return;
    // A span's own ids (trace, span, parent) belong to its trace copy; a link points at
    // another trace, which is taken as its first copy.
    const ix = this.index, i = this.item;
    const copy = own ? ix.copy(i) : 0;
    // A span's own trace, span and parent id: the index knows their place in the interning tables.
    const known = copy === 0 && own && this.spans;
    if (trace) {
      const g = known && srcAt === ix.traceAt(i) ? this.traceGroups.interned(ix.traceId(i), src, srcAt) : this.traceGroups.index(src, srcAt, copy);
      this.traceIds.push(at, g * 4);
    } else {
      const g = !known ? this.spanGroups.index(src, srcAt, copy)
        : srcAt === ix.spanAt(i) ? this.spanGroups.interned(ix.spanId(i), src, srcAt)
          : srcAt === ix.parentAt(i) ? this.spanGroups.interned(ix.parentId(i), src, srcAt) : this.spanGroups.index(src, srcAt, copy);
      this.spanIds.push(at, g * 2);
    }
  }

  time(at: number, rel: number, field: number): void {
    const unit = this.series ? this.series.time(this.index.unit(this.item), rel, field) : this.index.unit(this.item);
    if (rel > this.unitLast[unit]!) this.unitLast[unit] = rel;
    const input = this.index.input(this.item);
    this.unitInput[unit] = input;
    if (rel > this.inputLast[input]!) this.inputLast[input] = rel;
    if (this.unitFrame[unit] !== this.frameNo) {
      this.unitFrame[unit] = this.frameNo;
      this.units.push(unit);
    }
    const hi = Math.floor(rel / TWO32);
    this.times.push(at, unit, rel - hi * TWO32, hi);
  }

  value(kind: number, valueTag: number, at: number, value: number): void {
    if (this.series) this.values.push(at, this.series.value(this.index.unit(this.item), kind, valueTag, value));
  }
}

const NO_VIEW = new DataView(new ArrayBuffer(0));
