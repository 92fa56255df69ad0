/**
 * What each byte of a frame holds in every send, for the gzip image writer
 * (gzip-image.ts): its value where it is static, or which site byte it always equals.
 */
import type { Encoding } from '../otlp/signals.js';
import { TIME_STRIDE, type CompiledTemplate, type EncodedFrame } from './frame.js';

/** What buildGzipImage compresses against besides the bytes. */
export interface SiteKeys {
  /**
   * Per byte, what it holds in every send: a static byte is its value (0..255); a site
   * byte is 256 + an id shared by exactly the site bytes that hold the same value (the
   * same byte of the same id group, of the same digit field).
   */
  keys: Uint32Array;
  /** Site ranges given one key although only nearly always equal: checked per send (GzipImage.shared). */
  shared: Uint32Array;
  sharedWidth: number;
  /** The byte values a site may hold, a power of two of them (2..256). */
  alphabet: Uint8Array;
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const LOWER_HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Site widths per encoding: ids as bytes or hex, times as fixed64 or 19 digits (see
 * stamper.ts). `top`: where a time's leading bytes are, which change only every 2^40 ns
 * (18 min; fixed64's top 3 bytes) or 10^4 s (the first 6 digits): all times of a frame
 * nearly always share them.
 */
const WIDTHS = {
  proto: { trace: 16, span: 8, time: 8, top: 5, topWidth: 3 },
  json: { trace: 32, span: 16, time: 19, top: 0, topWidth: 6 },
} as const;

/**
 * The keys of buildGzipImage for a frame: what a Stamper writes there (the sites the
 * template was compiled to patch). Ids of one group and digits of one field are the same
 * bytes everywhere in a send; each time byte is its own, except the leading ones, which
 * are keyed as equal in every time of the frame and checked per send.
 */
export function siteKeys(compiled: CompiledTemplate, frame: EncodedFrame, encoding: Encoding): SiteKeys {
  const w = WIDTHS[encoding];
  const keys = new Uint32Array(frame.bytes.length);
  keys.set(frame.bytes);
  let next = 256;
  const mark = (at: number, width: number, id: number): void => {
    for (let k = 0; k < width; k++) keys[at + k] = id + k;
  };
  if (compiled.idRegen) {
    // Site words: trace group × 4, span group × 2.
    for (let i = 0; i < frame.traceIds.length; i += 2) mark(frame.traceIds[i]!, w.trace, next + (frame.traceIds[i + 1]! / 4) * w.trace);
    next += (compiled.traceGroups.length / 4) * w.trace;
    for (let i = 0; i < frame.spanIds.length; i += 2) mark(frame.spanIds[i]!, w.span, next + (frame.spanIds[i + 1]! / 2) * w.span);
    next += (compiled.spanGroups.length / 2) * w.span;
  }
  frame.digits.forEach((offsets, f) => {
    const width = compiled.digitWidths[f]!;
    for (const at of offsets) mark(at, width, next);
    next += width;
  });
  const shared: number[] = [];
  if (compiled.timestamps) {
    const top = next;
    next += w.topWidth;
    for (let i = 0; i < frame.times.length; i += TIME_STRIDE) {
      const at = frame.times[i]!;
      mark(at, w.time, next);
      next += w.time;
      mark(at + w.top, w.topWidth, top);
      shared.push(at + w.top);
    }
  }
  if (next >= 2 ** 32) throw new RangeError('siteKeys: more site bytes than 32-bit keys');
  // JSON sites hold lowercase hex ids and decimal digits (times, digit fields).
  return { keys, shared: Uint32Array.from(shared), sharedWidth: w.topWidth, alphabet: encoding === 'json' ? LOWER_HEX : ALL_BYTES };
}

