/**
 * Pull-style reading over a stream of chunks (a file, possibly through gunzip): wait
 * until n bytes are buffered, then take them. A take inside one chunk is a view, not a
 * copy, so walking a 1 GB file copies only what straddles chunk boundaries.
 */
export class ByteStream {
  readonly #source: AsyncIterator<Buffer>;
  #chunks: Buffer[] = [];
  /** Offset of the first unread byte in #chunks[0]. */
  #head = 0;
  /** Bytes buffered and unread. */
  #length = 0;
  #ended = false;
  /** Bytes taken or skipped so far: the offset of the next byte. */
  offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  get buffered(): number {
    return this.#length;
  }

  /** Waits until `n` bytes are buffered; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.#length < n && !this.#ended) {
      const next = await this.#source.next();
      if (next.done) this.#ended = true;
      else if (next.value.length > 0) {
        this.#chunks.push(next.value);
        this.#length += next.value.length;
      }
    }
    return this.#length >= n;
  }

  /** Whether the stream has no more bytes. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** The buffered byte `i` positions ahead (i < buffered). */
  peek(i: number): number {
    let at = this.#head + i;
    for (const c of this.#chunks) {
      if (at < c.length) return c[at]!;
      at -= c.length;
    }
    throw new RangeError(`peek past the buffered bytes (${i} of ${this.#length})`);
  }

  /** The next `n` buffered bytes (n ≤ buffered). */
  take(n: number): Buffer {
    const first = this.#chunks[0];
    let out: Buffer;
    if (first && first.length - this.#head >= n) out = first.subarray(this.#head, this.#head + n);
    else {
      out = Buffer.allocUnsafe(n);
      let filled = 0, i = 0, at = this.#head;
      while (filled < n) {
        const c = this.#chunks[i++]!;
        const k = Math.min(c.length - at, n - filled);
        c.copy(out, filled, at, at + k);
        filled += k;
        at = 0;
      }
    }
    this.skip(n);
    return out;
  }

  /** Drops the next `n` buffered bytes (n ≤ buffered). */
  skip(n: number): void {
    this.#length -= n;
    this.offset += n;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length - this.#head, left);
      left -= k;
      this.#head += k;
      if (this.#head === c.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
  }
}
