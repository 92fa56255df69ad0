import type { Signal } from '../otlp/signals.js';
import { WireReader } from '../otlp/wire/reader.js';
import { fieldLen, varintLen, writeVarint } from '../otlp/wire/write.js';
import { type AttributeScope, attributeTree, checkAttrTag, keyIndex, kidOf, kv, type PathNode, readKeyValue, stringValue } from './attribute-paths.js';
import { type AttributeAction, type CompiledActions, compileActions, encodeAttribute, KEEP, keyValue, MOVE, REPLACE, SUFFIX } from './attribute-actions.js';

export type { AttributeScope } from './attribute-paths.js';
export type { AttributeAction } from './attribute-actions.js';

/**
 * Applies attributes/resource processor actions to encoded request bytes, without
 * decoding them. The first pass walks only the fields that lead to attribute lists and
 * records edits (drop a KeyValue, replace one, append one, rewrite a length prefix) in
 * byte order; the second copies the request in runs between the edits. Times, ids and
 * every other byte are copied as they are.
 */
export function rewriteAttributes(signal: Signal, bytes: Uint8Array, scope: AttributeScope, actions: readonly AttributeAction[]): Uint8Array {
  // a Buffer's subarray costs twice a plain Uint8Array's, and the copy takes one per run
  const src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const plan = new Planner(src, compileActions(actions));
  const r = new WireReader(src);
  const delta = plan.container(attributeTree(signal, scope), r, src.length);
  return plan.apply(src.length + delta);
}

// Edit ops; an edit replaces src[start, end) by what its op writes.
const NOOP = 0, LEN = 1, CUT = 2, CHUNK = 3; // CHUNK + k: chunks[k]
const STRIDE = 4; // start, end, op, varint value (LEN)

class Planner {
  private edits = new Uint32Array(1024);
  private n = 0;
  private readonly chunks: Uint8Array[] = [];
  /** Per attribute tag, per case (see CompiledActions): chunk index of the field holding its KeyValue, −1 where none. */
  private readonly chunkOf = new Map<number, Int32Array>();
  /** Per key: seen in the current target. */
  private readonly found: Uint8Array;
  /** The chunk that creates a missing target (−1: none would be created), once needed. */
  private createChunk: number | undefined;

  constructor(private readonly src: Uint8Array, private readonly acts: CompiledActions) {
    this.found = new Uint8Array(acts.keys.length);
  }

  /** Walks the container in [r.pos, end); returns by how many bytes its payload grows. */
  container(n: PathNode, r: WireReader, end: number): number {
    let delta = 0;
    let hasCreatable = false;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag();
      const kid = kidOf(n, t, at);
      if (!kid) {
        r.skip(t & 7);
        continue;
      }
      const lenAt = r.pos;
      const e = r.len();
      const s = r.pos;
      const slot = this.reserve();
      r.end = e;
      const d = kid.attrTag ? this.target(kid, r, e) : this.container(kid, r, e);
      r.end = end;
      r.pos = e;
      if (t >>> 3 === n.create) hasCreatable = true;
      if (d === 0) continue;
      const len = e - s + d;
      this.set(slot, lenAt, s, LEN, len);
      delta += d + varintLen(len) - (s - lenAt);
    }
    if (n.create && !hasCreatable) {
      const chunk = (this.createChunk ??= this.createdTarget(n.create, n.kids[n.create]!));
      if (chunk >= 0) {
        this.set(this.reserve(), end, end, CHUNK + chunk, 0);
        delta += this.chunks[chunk]!.length;
      }
    }
    return delta;
  }

  /** Walks the attribute holder in [r.pos, end); returns by how many bytes it grows. */
  private target(n: PathNode, r: WireReader, end: number): number {
    const { acts, found, src } = this;
    const tag = n.attrTag;
    const chunks = this.chunksFor(tag);
    found.fill(0);
    let delta = 0;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag();
      if (t !== tag) {
        checkAttrTag(n, t, at);
        r.skip(t & 7);
        continue;
      }
      const e = r.len();
      readKeyValue(r, e);
      const k = keyIndex(src, acts.keys);
      r.end = end;
      if (k < 0) continue;
      found[k] = 1;
      const c = 2 * k + 1; // the key was present
      const outcome = acts.outcome[c]!;
      if (outcome === KEEP) continue;
      if (outcome === REPLACE || outcome === SUFFIX) {
        const chunk = outcome === REPLACE ? chunks[c]! : this.suffixed(tag, k, r, e);
        r.pos = e;
        r.end = end;
        this.set(this.reserve(), at, e, CHUNK + chunk, 0);
        delta += this.chunks[chunk]!.length - (e - at);
      } else {
        this.set(this.reserve(), at, e, CUT, 0);
        delta -= e - at;
      }
    }
    // appended in the order the actions appended them, as the Collector's map does
    for (const c of acts.appends) {
      if (found[c >>> 1] !== (c & 1) || acts.outcome[c] !== MOVE) continue;
      const chunk = chunks[c]!;
      this.set(this.reserve(), end, end, CHUNK + chunk, 0);
      delta += this.chunks[chunk]!.length;
    }
    return delta;
  }

  /** A chunk holding key `k` with the KeyValue just read's string value + "-" + the suffix (or the suffix alone). */
  private suffixed(tag: number, k: number, r: WireReader, e: number): number {
    const { valueStart, valueEnd } = kv;
    const old = valueStart < 0 ? undefined : stringValue(r, valueStart, valueEnd);
    const key = Buffer.from(this.acts.keys[k]!).toString('utf8');
    const suffix = this.acts.suffixes[k]!;
    const value = old ? `${Buffer.from(this.src.buffer, this.src.byteOffset + old[0], old[1] - old[0]).toString('utf8')}-${suffix}` : suffix;
    r.pos = e;
    this.chunks.push(encodeAttribute(tag, keyValue(key, value)));
    return this.chunks.length - 1;
  }

  /** The chunk that creates a missing target with the attributes of every absent key's case; −1 if none would be added. */
  private createdTarget(field: number, n: PathNode): number {
    const parts: Uint8Array[] = [];
    for (const c of this.acts.appends) {
      if ((c & 1) === 0 && this.acts.outcome[c] === MOVE) parts.push(this.chunks[this.chunksFor(n.attrTag)[c]!]!);
    }
    if (parts.length === 0) return -1;
    const body = Buffer.concat(parts);
    const out = new Uint8Array(fieldLen(body.length));
    out[0] = field * 8 + 2;
    out.set(body, writeVarint(out, 1, body.length));
    this.chunks.push(out);
    return this.chunks.length - 1;
  }

  private chunksFor(tag: number): Int32Array {
    let list = this.chunkOf.get(tag);
    if (list) return list;
    const { values } = this.acts;
    list = new Int32Array(values.length).fill(-1);
    for (let c = 0; c < values.length; c++) {
      const kv = values[c];
      if (!kv) continue;
      this.chunks.push(encodeAttribute(tag, kv));
      list[c] = this.chunks.length - 1;
    }
    this.chunkOf.set(tag, list);
    return list;
  }

  private reserve(): number {
    if (this.n + STRIDE > this.edits.length) {
      const grown = new Uint32Array(this.edits.length * 2);
      grown.set(this.edits);
      this.edits = grown;
    }
    const slot = this.n;
    this.edits[slot + 2] = NOOP;
    this.n += STRIDE;
    return slot;
  }

  private set(slot: number, start: number, end: number, op: number, value: number): void {
    const ed = this.edits;
    ed[slot] = start;
    ed[slot + 1] = end;
    ed[slot + 2] = op;
    ed[slot + 3] = value;
  }

  /** Writes the edited request, of `size` bytes. */
  apply(size: number): Uint8Array {
    const { src, edits: ed, chunks } = this;
    // not zero-filled: every byte is written below (pos === size); a plain Uint8Array keeps `copy` monomorphic
    const out = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    let pos = 0;
    let from = 0;
    for (let i = 0; i < this.n; i += STRIDE) {
      const op = ed[i + 2]!;
      if (op === NOOP) continue;
      if (ed[i]! < from) throw new Error(`attribute-rewrite: edit at byte ${ed[i]} comes after one ending at ${from}`);
      pos = copy(src, from, ed[i]!, out, pos);
      if (op === LEN) pos = writeVarint(out, pos, ed[i + 3]!);
      else if (op >= CHUNK) {
        const chunk = chunks[op - CHUNK]!;
        pos = copy(chunk, 0, chunk.length, out, pos);
      }
      from = ed[i + 1]!;
    }
    pos = copy(src, from, src.length, out, pos);
    if (pos !== size) throw new Error(`attribute-rewrite: wrote ${pos} bytes, planned ${size}`);
    return out;
  }
}

/** Copies buf[a, b) to out[pos..]; short runs by hand (`set` costs a subarray per call). */
function copy(buf: Uint8Array, a: number, b: number, out: Uint8Array, pos: number): number {
  if (b - a < 40) {
    for (let i = a; i < b; i++) out[pos++] = buf[i]!;
    return pos;
  }
  out.set(buf.subarray(a, b), pos);
  return pos + (b - a);
}
