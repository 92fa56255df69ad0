/**
 * The Stamper's writers for every site but protobuf ids and times (which it writes itself):
 * continuity values (protobuf and JSON), digit fields, and OTLP/JSON's hex ids and decimal
 * times. Flat loops over typed arrays, as the Stamper's own.
 */
import { VALUE_JSON_WIDTH } from '../otlp/wire/json.js';

/** "00".."99" as ASCII pairs: JSON times are written two digits per step. */
const DIGITS2 = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** Value sites (metrics continuity): [offset, slot] pairs; a slot's 8 bytes are two words fixed once per cycle. */
export function patchValues(words: Uint32Array, sites: Uint32Array, out: Buffer): void {
  if (sites.length === 0) return;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < sites.length; i += 2) {
    const at = sites[i]!;
    const w = sites[i + 1]! * 2;
    dv.setUint32(at, words[w]!, true);
    dv.setUint32(at + 4, words[w + 1]!, true);
  }
}

/** JSON value sites: [offset, slot] pairs; a slot's text is VALUE_JSON_WIDTH bytes, formatted once per cycle. */
export function patchJsonValues(text: Buffer, sites: Uint32Array, out: Buffer): void {
  for (let i = 0; i < sites.length; i += 2) {
    const from = sites[i + 1]! * VALUE_JSON_WIDTH;
    text.copy(out, sites[i]!, from, from + VALUE_JSON_WIDTH);
  }
}

/** Digit fields are the same ASCII in both encodings: sites hold the offset of the first digit. */
export function patchDigits(digits: Uint8Array, sites: Uint32Array, out: Buffer): void {
  const w = digits.length;
  for (let i = 0; i < sites.length; i++) {
    const at = sites[i]!;
    for (let k = 0; k < w; k++) out[at + k] = digits[k]!;
  }
}

/** Hex ids: sites hold the word index; at 8 hex chars per word it is also the hex offset / 8. */
export function copyHex(hex: Uint8Array, sites: Uint32Array, width: number, out: Buffer): void {
  for (let i = 0; i < sites.length; i += 2) {
    const at = sites[i]!;
    const from = sites[i + 1]! * 8;
    for (let k = 0; k < width; k++) out[at + k] = hex[from + k]!;
  }
}

/** Writes `value` as exactly `width` zero-padded decimal digits ending at at + width. */
export function writeDigits(out: Buffer, at: number, value: number, width: number): void {
  let p = at + width;
  while (p - at >= 2) {
    const q = Math.floor(value / 100);
    const r = (value - q * 100) * 2;
    out[--p] = DIGITS2[r + 1]!;
    out[--p] = DIGITS2[r]!;
    value = q;
  }
  if (p > at) out[--p] = 48 + (value % 10);
}
