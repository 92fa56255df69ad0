import { Http2Error } from '../../errors.js';
import { H2_ERROR } from './frames.js';
import { huffmanDecode } from './huffman.js';

/**
 * HPACK (RFC 7541) for the sink's server: a full decoder, since a client may use every
 * representation and its dynamic table must be followed exactly; and an encoder that
 * writes every field as a literal without indexing, which any decoder reads and which
 * keeps no state. Header values are octets, read and written as latin1.
 */

export type HeaderField = readonly [name: string, value: string];

/** RFC 7541 Appendix A: index 1 is the first entry. */
const STATIC_TABLE: HeaderField[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];
/** RFC 7541 §4.1: an entry's size is its name and value plus 32 octets of overhead. */
const ENTRY_OVERHEAD = 32;

function fail(message: string): never {
  throw new Http2Error(H2_ERROR.COMPRESSION_ERROR, `HPACK: ${message}`);
}

export class HpackDecoder {
  /** Newest first, as HPACK indexes it. */
  readonly #table: HeaderField[] = [];
  #size = 0;
  #maxSize: number;
  /** The SETTINGS_HEADER_TABLE_SIZE the sink announced: a size update may not exceed it. */
  readonly #limit: number;
  #block: Uint8Array = new Uint8Array(0);
  #at = 0;

  constructor(tableSize = 4096) {
    this.#maxSize = tableSize;
    this.#limit = tableSize;
  }

  /** Decodes one complete header block; throws an Http2Error (COMPRESSION_ERROR) for a malformed one. */
  decode(block: Uint8Array): HeaderField[] {
    this.#block = block;
    this.#at = 0;
    const fields: HeaderField[] = [];
    let fieldsSeen = false;
    while (this.#at < block.length) {
      const byte = block[this.#at]!;
      if (byte & 0x80) {
        fields.push(this.#entry(this.#integer(7)));
      } else if (byte & 0x40) {
        const field = this.#literal(6);
        this.#insert(field);
        fields.push(field);
      } else if (byte & 0x20) {
        // A size update must come before the block's first field (RFC 7541 §4.2).
        if (fieldsSeen) fail('dynamic table size update after a header field');
        const size = this.#integer(5);
        if (size > this.#limit) fail(`dynamic table size ${size} is over the ${this.#limit} allowed`);
        this.#maxSize = size;
        this.#evict(0);
        continue;
      } else {
        // Without indexing (0000) or never indexed (0001): both leave the table as it is.
        fields.push(this.#literal(4));
      }
      fieldsSeen = true;
    }
    return fields;
  }

  #integer(prefixBits: number): number {
    const block = this.#block;
    const mask = (1 << prefixBits) - 1;
    let value = block[this.#at++]! & mask;
    if (value < mask) return value;
    for (let shift = 0; ; shift += 7) {
      if (shift > 21) fail('integer too large');
      if (this.#at >= block.length) fail('header block ends inside an integer');
      const byte = block[this.#at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  #string(): string {
    if (this.#at >= this.#block.length) fail('header block ends before a string');
    const huffman = (this.#block[this.#at]! & 0x80) !== 0;
    const length = this.#integer(7);
    const end = this.#at + length;
    if (end > this.#block.length) fail('header block ends inside a string');
    const bytes = this.#block.subarray(this.#at, end);
    this.#at = end;
    return huffman ? huffmanDecode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }

  #literal(prefixBits: number): HeaderField {
    const index = this.#integer(prefixBits);
    const name = index === 0 ? this.#string() : this.#entry(index)[0];
    return [name, this.#string()];
  }

  #entry(index: number): HeaderField {
    if (index === 0) fail('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    return this.#table[index - STATIC_TABLE.length - 1] ?? fail(`index ${index} is past the dynamic table's ${this.#table.length} entries`);
  }

  #insert(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the whole table empties it and is not added (RFC 7541 §4.4).
    if (size > this.#maxSize) return;
    this.#table.unshift(field);
    this.#size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#table.length > 0) {
      const [name, value] = this.#table.pop()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** A header block of literal fields without indexing, names and values not Huffman-coded. */
export function encodeHeaders(fields: readonly HeaderField[]): Buffer {
  const parts: number[] = [];
  const string = (text: string): void => {
    const bytes = Buffer.from(text, 'latin1');
    integer(parts, 0x00, 7, bytes.length);
    for (const b of bytes) parts.push(b);
  };
  for (const [name, value] of fields) {
    parts.push(0x00);
    string(name);
    string(value);
  }
  return Buffer.from(parts);
}

function integer(out: number[], firstBits: number, prefixBits: number, value: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(firstBits | value);
    return;
  }
  out.push(firstBits | mask);
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}
