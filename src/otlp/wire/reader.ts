import { WireError } from '../../errors.js';

/**
 * A minimal protobuf wire-format reader over a byte range. The compiler, the template
 * loader and the sink walk encoded requests with it instead of decoding them.
 *
 * Hot walks use `len()`, which allocates nothing: it leaves `pos` at the payload and
 * returns where the payload ends. One reader can walk nested messages by narrowing
 * `end` to a payload and restoring it afterwards (see `wire-check.ts`).
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. Groups (3, 4) are
 * not used by OTLP and are rejected.
 */
export class WireReader {
  pos: number;
  /** Where reading stops: the end of the buffer or of the message being walked. */
  end: number;
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
    const start = this.pos;
    // One byte: every OTLP tag below field 16 and most lengths.
    if (start < this.end && buf[start]! < 0x80) {
      this.pos = start + 1;
      return buf[start]!;
    }
    let result = 0;
    let mul = 1;
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

  /**
   * Reads a length prefix, checked against the bounds, and returns the end of the
   * payload; `pos` is left at its start. Skip the payload with `r.pos = end`.
   */
  len(): number {
    const at = this.pos;
    const len = this.varint();
    if (len > this.end - this.pos) throw new WireError(`length ${len} runs past the end of its message`, at);
    return this.pos + len;
  }

  /** Reads a length prefix and returns the [start, end) of the payload, checked against the bounds. */
  bytes(): [number, number] {
    const end = this.len();
    const start = this.pos;
    this.pos = end;
    return [start, end];
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
        this.pos = this.len();
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

/**
 * Calls `fn` with the payload range of every occurrence of length-delimited `field` in
 * [start, end). The field with another wire type is malformed input, not a skip: a
 * message field that is not length-delimited would otherwise vanish from counts.
 */
export function eachField(buf: Uint8Array, start: number, end: number, field: number, fn: (s: number, e: number) => void): void {
  const want = field * 8 + 2;
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    if (t === want) {
      const [s, e] = r.bytes();
      fn(s, e);
    } else if (t >>> 3 === field) {
      throw new WireError(`field ${field} has wire type ${t & 7}, expected 2 (length-delimited)`, at);
    } else {
      r.skip(t & 7);
    }
  }
}

/** The (last) string `field` of the message in [start, end) as text, '' if absent; for error messages. */
export function stringField(buf: Uint8Array, start: number, end: number, field: number): string {
  let out = '';
  eachField(buf, start, end, field, (s, e) => {
    out = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
  });
  return out;
}
