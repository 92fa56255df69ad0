/** LSB-first bit output into a growing buffer, as DEFLATE (RFC 1951) packs its bits. */
export class BitWriter {
  #buf: Buffer;
  #len = 0;
  #acc = 0;
  #nacc = 0;

  constructor(initial: number) {
    this.#buf = Buffer.alloc(initial);
  }

  /** Bits written so far. */
  position(): number {
    return this.#len * 8 + this.#nacc;
  }

  /** Writes the low `n` (≤ 16) bits of `v`. */
  bits(v: number, n: number): void {
    this.#acc |= v << this.#nacc;
    this.#nacc += n;
    while (this.#nacc >= 8) {
      this.#byte(this.#acc & 0xff);
      this.#acc >>>= 8;
      this.#nacc -= 8;
    }
  }

  alignToByte(): void {
    if (this.#nacc > 0) this.bits(0, 8 - this.#nacc);
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.bits(x, 8);
  }

  #byte(x: number): void {
    if (this.#len === this.#buf.length) {
      const bigger = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    this.#buf[this.#len++] = x;
  }

  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}
