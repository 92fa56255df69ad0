import { open, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { TemplateError, WireError } from '../errors.js';
import { decodeOtlpJsonValue, jsonSyntaxError } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { checkWire, guessWireSignal } from '../otlp/wire-check.js';
import { RESOURCES } from '../otlp/wire/fields.js';
import { eachField } from '../otlp/wire/reader.js';
import { looksFramed, recordRanges } from '../otlp/wire/records.js';
import { normalize, type NormalizeOptions } from './normalize.js';
import { requestTimesMs } from './recorded-pace.js';
import type { TemplateData } from './template-data.js';

/**
 * Loads a template file: binary protobuf (`.pb`, the seed tool's format: one request),
 * length-prefixed requests (the Collector file exporter's `proto` format, which `record`
 * writes), OTLP/JSON (one request, or JSON lines as the Collector's file exporter writes),
 * any of them optionally gzip-compressed. A file of many requests is one template whose
 * `requests` keep where each request ended, so a replay without batch_splitter sends
 * them as they were received. Every failure is a TemplateError naming the file.
 *
 * Codes: ERR_TEMPLATE_NOT_FOUND, ERR_TEMPLATE_EMPTY, ERR_TEMPLATE_MALFORMED (binary, with
 * the byte offset; also bad ids and times), ERR_TEMPLATE_WRONG_SIGNAL, ERR_TEMPLATE_JSON,
 * ERR_TEMPLATE_GZIP.
 */
/** How times are loaded: relative (for the timestamp processor) unless `relativeTimes` is false. */
export type LoadOptions = Pick<NormalizeOptions, 'relativeTimes'> & {
  /** Also read each request's earliest recorded time (`TemplateData.requestTimesMs`), for `pace: recorded`. */
  requestTimes?: boolean;
};

export async function loadTemplate(file: string, signal: Signal, opts?: LoadOptions): Promise<TemplateData> {
  let bytes: Buffer;
  try {
    bytes = await readWhole(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new TemplateError(why, { file, code: 'ERR_TEMPLATE_NOT_FOUND', cause: err });
  }
  return parseTemplate(bytes, file, signal, opts);
}


/**
 * A regular file in one read into a buffer of its size: readFile reads in 512 KiB
 * chunks, a hop to the thread pool each, and copies them into one buffer at the end.
 * Anything else (a pipe, a file that shrank) takes readFile.
 */
async function readWhole(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const stat = await fh.stat();
    if (!stat.isFile() || stat.size === 0) return await fh.readFile();
    const bytes = Buffer.allocUnsafe(stat.size);
    for (let n = 0; n < bytes.length; ) {
      const { bytesRead } = await fh.read(bytes, n, bytes.length - n, n);
      if (bytesRead === 0) return await readFile(file);
      n += bytesRead;
    }
    return bytes;
  } finally {
    await fh.close();
  }
}

/**
 * The part of loadTemplate after reading, for bytes that did not come from a file of
 * their own. Takes ownership of `bytes`: times are made relative in place.
 */
export function parseTemplate(bytes: Uint8Array, file: string, signal: Signal, opts: LoadOptions = { relativeTimes: true }): TemplateData {
  let name = file;
  if (name.endsWith('.gz') || isGzip(bytes)) {
    bytes = gunzip(bytes, file);
    name = name.replace(/\.gz$/, '');
  }
  if (bytes.length === 0) throw new TemplateError('is empty', { file, code: 'ERR_TEMPLATE_EMPTY' });
  if (isZstd(bytes)) throw zstdError(file);
  const json = looksLikeJson(bytes, name);
  const { wire, requests } = json ? decodeJson(bytes, file, signal, /\.(jsonl|ndjson)$/.test(name)) : readBinary(bytes, file, signal);
  // Read before normalize, which rebases every trace on its own start.
  const times = opts.requestTimes ? requestTimesMs(signal, wire, requests) : undefined;
  const data = normalize(signal, Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength), file, { relativeTimes: opts.relativeTimes, byteOffsets: !json });
  if (requests && requests.length > 1) data.requests = requests;
  if (times) data.requestTimesMs = times;
  return data;
}

/** Encoded request bytes and, for a file of several requests, how many resources each holds. */
interface Wire {
  wire: Uint8Array;
  requests?: number[];
}

/** The Collector file exporter's `compression: zstd`; Node 20 has no zstd. */
function isZstd(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
}

function zstdError(file: string): TemplateError {
  return new TemplateError('is zstd-compressed (the Collector file exporter\'s compression: zstd), which cannot be read; write it uncompressed or gzip it', { file, code: 'ERR_TEMPLATE_GZIP' });
}

export function resourceCount(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  eachField(buf, start, end, RESOURCES, () => void n++);
  return n;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, file: string): Buffer {
  if (!isGzip(bytes)) throw new TemplateError('has a .gz name but is not gzip data', { file, code: 'ERR_TEMPLATE_GZIP' });
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new TemplateError(`bad gzip data: ${(err as Error).message}`, { file, code: 'ERR_TEMPLATE_GZIP' });
  }
}

/**
 * JSON by content as well as by name, so a misnamed file still loads. A binary request
 * never starts with `{` (field 15, group wire type) but always with 0x0a (field 1,
 * length-delimited), which is also a JSON newline: so leading whitespace only counts
 * when the file does not start with 0x0a.
 */
function looksLikeJson(bytes: Uint8Array, name: string): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (bytes[i] === 0x7b || /\.(json|jsonl|ndjson)$/.test(name)) return true;
  if (/\.(pb|bin|binpb)$/.test(name) || bytes[i] === 0x0a) return false;
  while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i++;
  return bytes[i] === 0x7b;
}

/** One bare request, or length-prefixed requests joined into one (protobuf appends repeated fields). */
function readBinary(bytes: Uint8Array, file: string, signal: Signal): Wire {
  if (!looksFramed(bytes)) return { wire: checkBinary(bytes, file, signal, 0) };
  let ranges: [number, number][];
  try {
    ranges = recordRanges(bytes);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    throw new TemplateError(`malformed length-prefixed requests: ${err.message.replace(/ at byte \d+$/, '')}`, { file, offset: err.offset, code: 'ERR_TEMPLATE_MALFORMED' });
  }
  const requests: number[] = [];
  for (const [s, e] of ranges) {
    if (isZstd(bytes.subarray(s, e))) throw zstdError(file);
    checkBinary(bytes.subarray(s, e), file, signal, s);
    requests.push(resourceCount(bytes, s, e));
  }
  return { wire: Buffer.concat(ranges.map(([s, e]) => bytes.subarray(s, e))), requests };
}

/** The request as it is, once its wire format is known to be sound; `at` is its offset in the file. */
export function checkBinary(bytes: Uint8Array, file: string, signal: Signal, at: number): Uint8Array {
  const guess = guessWireSignal(bytes, signal);
  if (guess !== undefined && guess !== signal) {
    throw new TemplateError(`holds a ${guess} request (${SIGNALS[guess].request.split('.').pop()}), not ${signal}`, {
      file,
      code: 'ERR_TEMPLATE_WRONG_SIGNAL',
    });
  }
  const type = requestType(signal);
  try {
    checkWire(bytes, type);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    throw new TemplateError(`malformed protobuf ${type.name}: ${err.message.replace(/ at byte \d+$/, '')}`, {
      file,
      offset: at + err.offset,
      code: 'ERR_TEMPLATE_MALFORMED',
    });
  }
  return bytes;
}

/** JSON → the encoded request, so it takes the same wire path as binary templates. */
function decodeJson(bytes: Uint8Array, file: string, signal: Signal, lines: boolean): Wire {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new TemplateError('is empty', { file, code: 'ERR_TEMPLATE_EMPTY' });
  if (!lines) {
    try {
      return { wire: requestType(signal).encode(decodeOtlpJsonValue(signal, JSON.parse(text), file)).finish() };
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      // More than one value: JSON lines in a .json file, as the Collector writes them.
      if (!/non-whitespace character after JSON/.test((err as Error).message)) throw jsonSyntaxError(text, err, file);
    }
  }
  return decodeJsonLines(text, file, signal);
}

/**
 * One request per line, merged by concatenating their encodings: protobuf appends
 * repeated fields, so the result holds every line's resources in order. Only one line's
 * objects are alive at a time.
 */
function decodeJsonLines(text: string, file: string, signal: Signal): Wire {
  const type = requestType(signal);
  const parts: Uint8Array[] = [];
  const requests: number[] = [];
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw jsonSyntaxError(line, err, file, lineNo);
    }
    const request = decodeOtlpJsonValue(signal, value, file, lineNo);
    requests.push(request[SIGNALS[signal].resources].length);
    parts.push(type.encode(request).finish());
  }
  return { wire: Buffer.concat(parts), requests };
}
