import { IdTable, read32 } from '../otlp/wire/id-table.js';
import { U32List } from '../otlp/wire/u32-list.js';

/**
 * The id groups of one compile: every site holding the same original id in the same
 * trace copy (see TraceCopies) gets the same new id, so one group per (id, copy), dense
 * in order of first sight. The stamper derives a group's new id from its original id;
 * a later copy's group (copy > 0) gets a stand-in original instead, unique among all
 * the compile's ids, so copies of one trace never share a new id. (Stand-ins need not
 * look random: the derivation is a keyed permutation, its outputs look random anyway.)
 */
export class IdGroups {
  /** Copy 0's ids interned (nearly every id, kept apart from later copies'); `firstGroups` maps their index to the group (+ 1; 0 = none yet). */
  private readonly first: IdTable;
  private firstGroups: Int32Array;
  /** Per later copy: original id → index among that copy's groups, and that index → group. */
  private readonly later = new Map<number, IdTable>();
  private readonly laterGroups = new Map<number, number[]>();
  private readonly origs = new U32List();
  private readonly copies: number[] = [];
  private laterCopies = false;

  /**
   * `interned`: a table that already interns these ids (TemplateIndex's trace and span
   * ids), so `interned()` can skip hashing an id whose index is known; else it keeps a
   * table of its own.
   */
  constructor(readonly words: 2 | 4, interned?: IdTable) {
    this.first = interned ?? new IdTable(words);
    this.firstGroups = new Int32Array(Math.max(1024, this.first.size));
  }

  get size(): number {
    return this.copies.length;
  }

  /** The group of the id at `src[at..]` in trace copy `copy`. */
  index(src: Uint8Array, at: number, copy: number): number {
    if (copy === 0) return this.interned(this.first.index(src, at), src, at);
    const table = this.later.get(copy) ?? this.later.set(copy, new IdTable(this.words)).get(copy)!;
    const groups = this.laterGroups.get(copy) ?? this.laterGroups.set(copy, []).get(copy)!;
    const local = table.index(src, at);
    if (!table.added) return groups[local]!;
    groups.push(this.add(src, at, copy));
    return groups[local]!;
  }

  /** The copy-0 group of the id at `src[at..]`, whose index in the interning table is `i`. */
  interned(i: number, src: Uint8Array, at: number): number {
    if (i >= this.firstGroups.length) {
      const grown = new Int32Array(Math.max(2 * this.firstGroups.length, i + 1));
      grown.set(this.firstGroups);
      this.firstGroups = grown;
    }
    const g = this.firstGroups[i]!;
    if (g !== 0) return g - 1;
    const group = this.add(src, at, 0);
    this.firstGroups[i] = group + 1;
    return group;
  }

  private add(src: Uint8Array, at: number, copy: number): number {
    const group = this.copies.length;
    this.copies.push(copy);
    if (copy > 0) this.laterCopies = true;
    for (let w = 0; w < this.words; w++) this.origs.push(read32(src, at + 4 * w));
    return group;
  }

  /** Original ids, `words` little-endian words per group; later copies get their stand-ins. */
  freeze(): Uint32Array {
    const origs = this.origs.freeze();
    if (!this.laterCopies) return origs;
    const words = this.words;
    const taken = new IdTable(words, this.size);
    const bytes = new Uint8Array(origs.buffer, origs.byteOffset, origs.byteLength);
    for (let g = 0; g < this.size; g++) if (this.copies[g] === 0) taken.index(bytes, g * words * 4);
    const standIn = new Uint32Array(words);
    const standInBytes = new Uint8Array(standIn.buffer);
    standIn[words - 1] = STAND_IN_MARK;
    for (let g = 0; g < this.size; g++) {
      if (this.copies[g] === 0) continue;
      for (;;) {
        standIn[0]!++;
        taken.index(standInBytes, 0);
        if (taken.added) break;
      }
      origs.set(standIn, g * words);
    }
    return origs;
  }
}

/** Last word of every stand-in ("COPY"); the first word counts up, skipping real ids. */
const STAND_IN_MARK = 0x59504f43;
