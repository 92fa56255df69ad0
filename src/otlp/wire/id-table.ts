/**
 * Fixed-length ids (8-byte span ids, 16-byte trace ids) → dense indexes 0, 1, 2, … in
 * order of first sight. Open addressing over typed arrays: a template holds hundreds
 * of thousands of ids, and a Map keyed by strings would cost a string per lookup and
 * tens of MB of heap.
 */
export class IdTable {
  /** The ids in index order, `words` little-endian uint32 each. */
  private ids: Uint32Array;
  /** Slot → index + 1 (0 = empty). */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(readonly words: 2 | 4, expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.ids = new Uint32Array((cap / 2) * words);
  }

  /** The index of the id at `buf[at..]`, added if new; `added` tells which. */
  index(buf: Uint8Array, at: number): number {
    const w = this.words;
    const a = read32(buf, at), b = read32(buf, at + 4);
    const c = w === 4 ? read32(buf, at + 8) : 0, d = w === 4 ? read32(buf, at + 12) : 0;
    let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35), 0x27d4eb2f);
    h ^= h >>> 15;
    const ids = this.ids;
    let slot = h & this.mask;
    for (; ; slot = (slot + 1) & this.mask) {
      const v = this.slots[slot]!;
      if (v === 0) break;
      const o = (v - 1) * w;
      if (ids[o] === a && ids[o + 1] === b && (w === 2 || (ids[o + 2] === c && ids[o + 3] === d))) {
        this.added = false;
        return v - 1;
      }
    }
    const i = this.size++;
    const grow = this.size * 2 > this.slots.length;
    if (grow) this.grow();
    const o = i * w;
    this.ids[o] = a;
    this.ids[o + 1] = b;
    if (w === 4) {
      this.ids[o + 2] = c;
      this.ids[o + 3] = d;
    }
    // The probe above found this id's slot, unless the table grew since.
    if (grow) this.place(i);
    else this.slots[slot] = i + 1;
    this.added = true;
    return i;
  }

  /** Whether the last `index` call added its id. */
  added = false;

  private place(i: number): void {
    const w = this.words, o = i * w, ids = this.ids;
    const d = w === 4 ? ids[o + 3]! : 0, c = w === 4 ? ids[o + 2]! : 0;
    let h = Math.imul(ids[o]! ^ Math.imul(ids[o + 1]!, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35), 0x27d4eb2f);
    h ^= h >>> 15;
    let slot = h & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = i + 1;
  }

  private grow(): void {
    const cap = this.slots.length * 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    const ids = new Uint32Array((cap / 2) * this.words);
    ids.set(this.ids.subarray(0, (this.size - 1) * this.words));
    this.ids = ids;
    for (let i = 0; i < this.size - 1; i++) this.place(i);
  }
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
