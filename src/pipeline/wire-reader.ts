import { WireError } from '../errors.js';

/**
 * A minimal protobuf wire-format reader over a byte range. The compiler and the sink
 * walk encoded requests with it instead of decoding them: it never allocates per field.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. Groups (3, 4) are
 * not used by OTLP and are rejected.
 */
export class WireReader {
  pos: number;
  readonly end: number;
  readonly buf: Uint8Array;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint up to 2^53; larger values are malformed for our purposes. */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint', start);
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new WireError('varint too large', start);
        return result;
      }
      mul *= 128;
    }
    throw new WireError('varint longer than 10 bytes', start);
  }

  /** Reads a tag; returns field number * 8 + wire type (the raw tag). */
  tag(): number {
    const at = this.pos;
    const t = this.varint();
    if (t >>> 3 === 0 && t < 8) throw new WireError('field number 0', at);
    return t;
  }

  /** Reads a length prefix and returns the [start, end) of the payload, checked against the bounds. */
  bytes(): [number, number] {
    const at = this.pos;
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new WireError(`length ${len} runs past the end of its message`, at);
    this.pos = start + len;
    return [start, start + len];
  }

  /** Skips a field's value given its wire type. */
  skip(wireType: number): void {
    const at = this.pos;
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8, at);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4, at);
        return;
      default:
        throw new WireError(`unsupported wire type ${wireType}`, at);
    }
  }

  /** Asserts a fixed-size field fits and moves past it; returns its offset. */
  advance(n: number, at = this.pos): number {
    if (this.end - this.pos < n) throw new WireError(`truncated ${n}-byte field`, at);
    const p = this.pos;
    this.pos += n;
    return p;
  }
}
