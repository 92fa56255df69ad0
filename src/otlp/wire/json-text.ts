import { isUtf8 } from 'node:buffer';

export const QUOTE = 0x22;

/** Per ASCII byte: 0 = as is, else the escape JSON.stringify writes (1 = \u00XX). */
const ESCAPE = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 1;
ESCAPE[0x08] = 0x62; // \b
ESCAPE[0x09] = 0x74; // \t
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0c] = 0x66; // \f
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[QUOTE] = QUOTE;
ESCAPE[0x5c] = 0x5c;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * JSON text written byte by byte from the bytes of `src`, in two passes: while `out` is
 * undefined every write only advances `pos` (measuring), then the same writes fill a
 * buffer of exactly that size.
 */
export class JsonText {
  protected out: Buffer | undefined;
  pos = 0;

  constructor(protected readonly src: Uint8Array) {}

  /**
   * A JSON string from UTF-8 bytes, escaped as JSON.stringify escapes. Valid UTF-8 is
   * copied as is (multi-byte sequences hold no byte below 0x80, so only ASCII needs
   * escaping); invalid UTF-8 goes through Node's decoder, like protobufjs, for the same
   * replacement characters.
   */
  protected string(s: number, e: number): void {
    const src = this.src;
    let ascii = true;
    for (let i = s; i < e; i++) {
      if (src[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii && !isUtf8(src.subarray(s, e))) {
      this.utf8(JSON.stringify(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('utf8')));
      return;
    }
    const out = this.out;
    let p = this.pos;
    if (out) out[p] = QUOTE;
    p++;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      const x = c < 0x80 ? ESCAPE[c]! : 0;
      if (x === 0) {
        if (out) out[p] = c;
        p++;
      } else if (x === 1) {
        if (out) {
          out[p] = 0x5c;
          out[p + 1] = 0x75; // \u00XX, lower-case hex like JSON.stringify
          out[p + 2] = 0x30;
          out[p + 3] = 0x30;
          out[p + 4] = HEX[c >>> 4]!;
          out[p + 5] = HEX[c & 15]!;
        }
        p += 6;
      } else {
        if (out) {
          out[p] = 0x5c;
          out[p + 1] = x;
        }
        p += 2;
      }
    }
    if (out) out[p] = QUOTE;
    this.pos = p + 1;
  }

  /** The bytes `src[s, e)` as lower-case hex digits, unquoted. */
  protected hex(s: number, e: number): void {
    const out = this.out;
    if (out) {
      let p = this.pos;
      for (let i = s; i < e; i++) {
        const b = this.src[i]!;
        out[p++] = HEX[b >>> 4]!;
        out[p++] = HEX[b & 15]!;
      }
    }
    this.pos += (e - s) * 2;
  }

  /** A non-negative integer below 2^53. */
  protected uint(n: number): void {
    const digits = digitCount(n);
    const out = this.out;
    if (out) {
      let p = this.pos + digits;
      do {
        const q = Math.floor(n / 10);
        out[--p] = 0x30 + (n - q * 10);
        n = q;
      } while (n > 0);
    }
    this.pos += digits;
  }

  protected int(n: number): void {
    if (n < 0) {
      this.byte(0x2d);
      n = -n;
    }
    this.uint(n);
  }

  protected byte(b: number): void {
    if (this.out) this.out[this.pos] = b;
    this.pos++;
  }

  protected bytes(b: Buffer): void {
    if (this.out) for (let i = 0; i < b.length; i++) this.out[this.pos + i] = b[i]!;
    this.pos += b.length;
  }

  protected ascii(text: string): void {
    if (this.out) this.out.write(text, this.pos, 'latin1');
    this.pos += text.length;
  }

  protected utf8(text: string): void {
    this.pos += this.out ? this.out.write(text, this.pos, 'utf8') : Buffer.byteLength(text);
  }
}

/** Decimal digits of a non-negative integer below 2^53. */
export function digitCount(n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  return digits;
}
