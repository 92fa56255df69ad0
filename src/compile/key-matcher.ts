/**
 * LZ77 match finding over keys instead of bytes (see SiteKeys in site-keys.ts): a match
 * may copy a site only from an earlier site that always holds the same bytes, and never
 * copies a site into static bytes or the other way round. Hash chains, as zlib's.
 */

export const WINDOW = 32768;
export const MIN_MATCH = 3;
export const MAX_MATCH = 258;
const HASH_BITS = 16;

export class KeyMatcher {
  readonly #keys: Uint32Array;
  readonly #head = new Int32Array(1 << HASH_BITS).fill(-1);
  readonly #prev: Int32Array;
  /** Each position's hash of its 3 keys, once: it is read when inserting and when searching. */
  readonly #hash: Uint16Array;
  /** Distance of the match `longest` found last. */
  distance = 0;

  constructor(keys: Uint32Array) {
    const n = keys.length;
    this.#keys = keys;
    this.#prev = new Int32Array(n);
    const hash = (this.#hash = new Uint16Array(n));
    for (let p = 0; p + MIN_MATCH <= n; p++) {
      hash[p] = Math.imul(Math.imul(keys[p]!, 0x01000193) ^ Math.imul(keys[p + 1]!, 0x9e3779b1) ^ keys[p + 2]!, 0x85ebca6b) >>> (32 - HASH_BITS);
    }
  }

  /** Makes position `p` findable by later searches. */
  insert(p: number): void {
    if (p + MIN_MATCH > this.#keys.length) return;
    const h = this.#hash[p]!;
    this.#prev[p] = this.#head[h]!;
    this.#head[h] = p;
  }

  /** Inserts every position of [from, to). */
  insertRange(from: number, to: number): void {
    const end = Math.min(to, this.#keys.length - MIN_MATCH + 1);
    const head = this.#head;
    const prev = this.#prev;
    const hash = this.#hash;
    for (let q = from; q < end; q++) {
      const h = hash[q]!;
      prev[q] = head[h]!;
      head[h] = q;
    }
  }

  /**
   * The longest match for `p` among inserted positions (0 if none of at least MIN_MATCH;
   * its distance in `distance`), following at most `chain` links and stopping at the first
   * of at least `nice` keys.
   */
  longest(p: number, chain: number, nice: number): number {
    const keys = this.#keys;
    const prev = this.#prev;
    const max = Math.min(MAX_MATCH, keys.length - p);
    if (max < MIN_MATCH) return 0;
    let best = MIN_MATCH - 1;
    for (let q = this.#head[this.#hash[p]!]!; q >= 0 && p - q <= WINDOW && chain-- > 0; q = prev[q]!) {
      if (keys[q + best] !== keys[p + best] || keys[q] !== keys[p]) continue;
      let len = 1;
      while (len < max && keys[q + len] === keys[p + len]) len++;
      if (len > best) {
        best = len;
        this.distance = p - q;
        if (len >= nice || len === max) break;
      }
    }
    return best >= MIN_MATCH ? best : 0;
  }
}
