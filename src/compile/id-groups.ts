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
  /** Per copy: original id → index among that copy's groups (copy 0, nearly every id, kept apart). */
  private readonly first: IdTable;
  private readonly later = new Map<number, IdTable>();
  /** Per copy: that copy's index → group. */
  private readonly firstGroups: number[] = [];
  private readonly laterGroups = new Map<number, number[]>();
  private readonly origs = new U32List();
  private readonly copies: number[] = [];
  private laterCopies = false;

  constructor(readonly words: 2 | 4) {
    this.first = new IdTable(words);
  }

  get size(): number {
    return this.copies.length;
  }

  /** The group of the id at `src[at..]` in trace copy `copy`. */
  index(src: Uint8Array, at: number, copy: number): number {
    let table = this.first;
    let groups = this.firstGroups;
    if (copy > 0) {
      table = this.later.get(copy) ?? this.later.set(copy, new IdTable(this.words)).get(copy)!;
      groups = this.laterGroups.get(copy) ?? this.laterGroups.set(copy, []).get(copy)!;
    }
    const local = table.index(src, at);
    if (!table.added) return groups[local]!;
    const group = this.copies.length;
    groups.push(group);
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
