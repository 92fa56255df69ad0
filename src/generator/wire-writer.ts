/**
 * A protobuf wire-format writer into one growable buffer. The generator knows the OTLP
 * schema, so it writes fields straight to bytes instead of going through protobufjs
 * (which builds a fork/ldelim op list per message and dominated generation time).
 *
 * Nested messages reserve one length byte and are moved right when the body turns
 * out longer than 127 bytes (`begin`/`end`); most nested messages (key/values, values)
 * are short, so the move is rare and, when it happens, a single memmove.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** The bytes written so far (a view, valid until the next write or reset). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of bytes [start, end) (Buffer#slice would share memory). */
  copy(start = 0, end = this.pos): Uint8Array {
    return new Uint8Array(this.buf.subarray(start, end));
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A tag byte: every field number we write is below 16. */
  tag(field: number, wireType: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wireType;
  }

  /** A varint of a non-negative integer up to 2^53, or a negative int64 as ten bytes. */
  varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (n < 0) {
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        buf[this.pos++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      buf[this.pos++] = Number(v);
      return;
    }
    while (n > 0x7fffffff) {
      buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n > 0x7f) {
      buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[this.pos++] = n;
  }

  /** A fixed64 of an integer (relative ns, counts); negative values as two's complement. */
  fixed64(n: number): void {
    this.ensure(8);
    this.le32(n >>> 0);
    this.le32(Math.floor(n / 4294967296) >>> 0);
  }

  fixed32(n: number): void {
    this.ensure(4);
    this.le32(n >>> 0);
  }

  /** Byte stores: cheaper than Buffer#writeUInt32LE's argument checks at this call rate. */
  private le32(v: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = v;
    buf[p + 1] = v >>> 8;
    buf[p + 2] = v >>> 16;
    buf[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  double(d: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(d, this.pos);
  }

  /** Length-prefixed UTF-8 (no tag). */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // 42 UTF-16 units are at most 126 UTF-8 bytes: the length fits one byte whatever the content.
      this.ensure(1 + n * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      let p = start;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = start + buf.write(s, start, 'utf8');
          break;
        }
        buf[p++] = c;
      }
      buf[this.pos] = p - start;
      this.pos = p;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Length-prefixed bytes (no tag). */
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    if (n > 32) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    // TypedArray#set costs more than a short loop for the ids and cached keys written here.
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** Starts a length-delimited field; returns the mark to pass to `end`. */
  begin(field: number): number {
    this.ensure(2);
    this.buf[this.pos++] = (field << 3) | 2;
    return this.pos++;
  }

  /** Ends the field started at `mark`: writes its length, moving the body if it needs more than one byte. */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0; v >>>= 7) extra++;
    this.ensure(extra);
    const buf = this.buf;
    buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let v = len;
    let p = mark;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos += extra;
  }
}
