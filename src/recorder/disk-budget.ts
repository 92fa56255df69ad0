/**
 * The disk space a recording may use (`--max-size`), shared by its files and its
 * metadata. Every byte is reserved before it can be written, with a bound where the
 * exact size is not known yet (data waiting to be compressed), so what is on disk never
 * exceeds the limit, even for a moment.
 */
export class DiskBudget {
  #used = 0;

  /** `max` in bytes; Infinity for no limit. */
  constructor(readonly max: number) {}

  get used(): number {
    return this.#used;
  }

  /** Takes `n` bytes if they fit; false (and nothing taken) otherwise. */
  reserve(n: number): boolean {
    if (this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }

  /** Gives back `n` reserved bytes. */
  release(n: number): void {
    this.#used -= n;
  }
}

/**
 * Most bytes gzip can turn `n` input bytes into: zlib's conservative deflate bound (any
 * settings), without the wrapper, which each gzip member adds once (GZIP_MEMBER).
 */
export function deflateBound(n: number): number {
  return n + Math.ceil(n / 8) + Math.ceil(n / 64) + 5;
}

/** A gzip member's header and trailer (10 + 8 bytes) and the final empty block, with room to spare. */
export const GZIP_MEMBER = 32;
