/**
 * The OpenTelemetry Collector file exporter's `proto` format, which `record` writes too:
 * a stream of requests, each preceded by its length as 4 bytes big-endian
 * (`exportMessageAsBuffer` in the Collector's fileexporter). A bare encoded request
 * always starts with a tag (field 1, length-delimited: 0x0a); a framed file starts with
 * the high byte of a length, below 0x08 for any request under 128 MiB, which no valid
 * request starts with (field 0, or field 1 as a varint). That tells the two apart.
 */
import { WireError } from '../../errors.js';

export const RECORD_PREFIX = 4;

/** Whether `buf` looks like length-prefixed records rather than one bare request. */
export function looksFramed(buf: Uint8Array): boolean {
  return buf.length >= RECORD_PREFIX && buf[0]! < 0x08;
}

/** The 4-byte prefix of a record of `len` bytes. */
export function recordPrefix(len: number): Buffer {
  const b = Buffer.allocUnsafe(RECORD_PREFIX);
  b.writeUInt32BE(len, 0);
  return b;
}

/** [start, end) of every record's payload; throws WireError (with the offset) when they do not tile `buf` exactly. */
export function recordRanges(buf: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < RECORD_PREFIX) throw new WireError(`truncated record length (${buf.length - at} of 4 bytes)`, at);
    const len = ((buf[at]! << 24) >>> 0) + (buf[at + 1]! << 16) + (buf[at + 2]! << 8) + buf[at + 3]!;
    const start = at + RECORD_PREFIX;
    if (len > buf.length - start) throw new WireError(`record of ${len} bytes runs past the end of the file`, at);
    out.push([start, start + len]);
    at = start + len;
  }
  return out;
}
