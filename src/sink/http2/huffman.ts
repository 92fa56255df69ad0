import { Http2Error } from '../../errors.js';
import { H2_ERROR } from './frames.js';

/**
 * HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: each symbol's code
 * follows from the code lengths alone (shorter codes first, then by symbol), so only the
 * 257 lengths are written here and the codes are rebuilt once at load.
 */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_LENGTH = 30;

/** Per code length: the first code of that length, how many codes have it, and where its symbols start. */
const first = new Int32Array(MAX_LENGTH + 1);
const count = new Int32Array(MAX_LENGTH + 1);
const offset = new Int32Array(MAX_LENGTH + 1);
const symbols = CODE_LENGTHS.map((_, s) => s).sort((a, b) => CODE_LENGTHS[a]! - CODE_LENGTHS[b]! || a - b);
{
  let code = 0;
  let at = 0;
  for (let len = 1; len <= MAX_LENGTH; len++) {
    first[len] = code;
    offset[len] = at;
    while (at < symbols.length && CODE_LENGTHS[symbols[at]!] === len) {
      at++;
      count[len]!++;
      code++;
    }
    code <<= 1;
  }
}

/**
 * Decodes a Huffman-coded string literal, one bit at a time: header blocks are a few
 * hundred bytes per request, so a table-driven decoder would buy nothing measurable.
 * Throws a COMPRESSION_ERROR for EOS in the string or padding that is not a short run of 1 bits.
 */
export function huffmanDecode(bytes: Uint8Array): string {
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const index = code - first[len]!;
      if (index < count[len]!) {
        const symbol = symbols[offset[len]! + index]!;
        if (symbol === EOS) throw new Http2Error(H2_ERROR.COMPRESSION_ERROR, 'HPACK: EOS inside a Huffman string');
        out += String.fromCharCode(symbol);
        code = 0;
        len = 0;
      } else if (len === MAX_LENGTH) {
        throw new Http2Error(H2_ERROR.COMPRESSION_ERROR, 'HPACK: invalid Huffman code');
      }
    }
  }
  // What is left must be the start of EOS (all 1 bits), shorter than a byte.
  if (len > 7 || code !== (1 << len) - 1) throw new Http2Error(H2_ERROR.COMPRESSION_ERROR, 'HPACK: bad Huffman padding');
  return out;
}
