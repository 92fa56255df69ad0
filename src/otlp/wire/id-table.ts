/**
 * Fixed-length ids (8-byte span ids, 16-byte trace ids) → dense indexes 0, 1, 2, … in
 * order of first sight. Open addressing over typed arrays: a template holds hundreds
 * of thousands of ids, and a Map keyed by strings would cost a string per lookup and
 * tens of MB of heap.
 */
export class IdTable {
  /**
   * Open addressing, one entry of `1 + words` words per slot: index + 1 (0 = empty), then
   * the id. Keeping the id beside its index makes a probe touch one cache line, not two:
   * with hundreds of thousands of random ids nearly every lookup misses the cache.
   */
  private slots: Int32Array;
  private mask: number;
  size = 0;
  /** Whether the last `index` call added its id. */
  added = false;

  constructor(readonly words: 2 | 4, expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap * (1 + words));
    this.mask = cap - 1;
  }

  /** The index of the id at `buf[at..]`, added if new; `added` tells which. */
  index(buf: Uint8Array, at: number): number {
    const w = this.words;
    const a = read32(buf, at) | 0, b = read32(buf, at + 4) | 0;
    const c = w === 4 ? read32(buf, at + 8) | 0 : 0, d = w === 4 ? read32(buf, at + 12) | 0 : 0;
    const slots = this.slots;
    const stride = w + 1;
    let slot = hash(a, b, c, d) & this.mask;
    for (; ; slot = (slot + 1) & this.mask) {
      const e = slot * stride;
      const v = slots[e]!;
      if (v === 0) break;
      if (slots[e + 1] === a && slots[e + 2] === b && (w === 2 || (slots[e + 3] === c && slots[e + 4] === d))) {
        this.added = false;
        return v - 1;
      }
    }
    const i = this.size++;
    put(slots, slot * stride, w, i + 1, a, b, c, d);
    if (this.size * 2 > this.mask + 1) this.grow();
    this.added = true;
    return i;
  }

  private grow(): void {
    const w = this.words, stride = w + 1, old = this.slots;
    const cap = (this.mask + 1) * 2;
    const slots = (this.slots = new Int32Array(cap * stride));
    const mask = (this.mask = cap - 1);
    for (let e = 0; e < old.length; e += stride) {
      const v = old[e]!;
      if (v === 0) continue;
      const a = old[e + 1]!, b = old[e + 2]!, c = w === 4 ? old[e + 3]! : 0, d = w === 4 ? old[e + 4]! : 0;
      let slot = hash(a, b, c, d) & mask;
      while (slots[slot * stride] !== 0) slot = (slot + 1) & mask;
      put(slots, slot * stride, w, v, a, b, c, d);
    }
  }
}

function put(slots: Int32Array, e: number, w: number, v: number, a: number, b: number, c: number, d: number): void {
  slots[e] = v;
  slots[e + 1] = a;
  slots[e + 2] = b;
  if (w === 4) {
    slots[e + 3] = c;
    slots[e + 4] = d;
  }
}

function hash(a: number, b: number, c: number, d: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** Whether the `len` id bytes at `buf[at..]` are all zero: an unset id, which is never given a group. */
export function isZeroId(buf: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The little-endian uint32 at `b[at..]`: one word of an id as IdTable stores it. */
export function read32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
