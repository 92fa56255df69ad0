/** The few protobuf writing primitives the compiler needs when it assembles frames from wire slices. */

export const TWO32 = 4294967296;

/** Bytes of `n` as a varint (n < 2^53). */
export function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes `n` as a varint at `at`; returns the position after it. */
export function writeVarint(buf: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** Size of a length-delimited field holding `len` bytes, for a tag below 128 (every tag we write). */
export function fieldLen(len: number): number {
  return 1 + varintLen(len) + len;
}

/** A fixed64 value read as a Number; callers check it against 2^53. */
export function readFixed64(buf: Uint8Array, at: number): number {
  const lo = (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
  const hi = (buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24)) >>> 0;
  return hi * TWO32 + lo;
}

/** The fixed64 at `at` as its exact decimal text, for messages. */
export function fixed64Text(buf: Uint8Array, at: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + at, 8).readBigUInt64LE(0).toString();
}

export function writeFixed64(buf: Uint8Array, at: number, n: number): void {
  const hi = Math.floor(n / TWO32);
  const lo = n - hi * TWO32;
  buf[at] = lo & 0xff;
  buf[at + 1] = (lo >>> 8) & 0xff;
  buf[at + 2] = (lo >>> 16) & 0xff;
  buf[at + 3] = lo >>> 24;
  buf[at + 4] = hi & 0xff;
  buf[at + 5] = (hi >>> 8) & 0xff;
  buf[at + 6] = (hi >>> 16) & 0xff;
  buf[at + 7] = hi >>> 24;
}
