import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { TemplateError } from '../errors.js';
import { decodeOtlpJsonValue, jsonSignal, jsonSyntaxError } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { guessWireSignal } from '../otlp/wire-check.js';
import { RESOURCES, LEN, tag } from '../otlp/wire/fields.js';
import { RECORD_PREFIX } from '../otlp/wire/records.js';
import { ByteStream } from './byte-stream.js';

/**
 * A template file read as a stream of request pieces, never whole: length-prefixed
 * records one request at a time, a bare request one resource at a time, JSON lines one
 * line at a time (a single OTLP/JSON document is parsed whole). gzip is undone on the
 * way. Each piece is valid request bytes (top-level resource fields), tagged with the
 * request it belongs to.
 */

export type TemplateFormat = 'proto' | 'records' | 'json' | 'jsonl';

export interface RequestPiece {
  /** Encoded request bytes: one or more Request.resource_* fields. */
  bytes: Uint8Array;
  /** Index of the request it belongs to (a bare request is request 0 throughout). */
  request: number;
}

export interface TemplateStream {
  signal: Signal;
  format: TemplateFormat;
  gzip: boolean;
  /** Bytes read after gunzip so far (all of them once `pieces` is done). */
  readonly rawBytes: number;
  pieces: AsyncGenerator<RequestPiece>;
}

const RESOURCE_TAG = tag(RESOURCES, LEN);

export async function openTemplateStream(file: string, signal?: Signal): Promise<TemplateStream> {
  const head = Buffer.alloc(4);
  try {
    const fd = await open(file, 'r');
    try {
      await fd.read(head, 0, 4, 0);
    } finally {
      await fd.close();
    }
  } catch (err) {
    throw new TemplateError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message, { file, code: 'ERR_TEMPLATE_NOT_FOUND' });
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const bytes = new ByteStream(gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })).on('error', () => {}) : raw);
  const failed = (err: unknown): never => {
    if (err instanceof TemplateError) throw err;
    throw new TemplateError(`${gzip ? 'bad gzip data or ' : ''}unreadable: ${(err as Error).message}`, { file, code: gzip ? 'ERR_TEMPLATE_GZIP' : 'ERR_TEMPLATE_MALFORMED' });
  };
  try {
    if (!(await bytes.fill(1))) throw new TemplateError('is empty', { file, code: 'ERR_TEMPLATE_EMPTY' });
    await bytes.fill(4);
  } catch (err) {
    failed(err);
  }
  const name = basename(file).replace(/\.gz$/, '');
  const first = bytes.peek(0);
  if (first === 0x28 && bytes.buffered >= 4 && bytes.peek(1) === 0xb5) {
    throw new TemplateError('is zstd-compressed, which cannot be read; decompress it first', { file, code: 'ERR_TEMPLATE_GZIP' });
  }
  const json = first === 0x7b || first === 0xef || /\.(json|jsonl|ndjson)$/.test(name);
  const hinted = signal ?? SIGNAL_NAMES.find((s) => name.includes(s));
  const format: TemplateFormat = json ? 'json' : first < 0x08 ? 'records' : 'proto';
  const stream: TemplateStream = {
    signal: hinted ?? 'traces',
    format,
    gzip,
    get rawBytes() {
      return bytes.offset;
    },
    pieces: undefined as unknown as AsyncGenerator<RequestPiece>,
  };
  const state: JsonState = { lines: false, signal: hinted };
  const pieces = json ? jsonPieces(bytes, file, /\.(jsonl|ndjson)$/.test(name), state) : format === 'records' ? recordPieces(bytes, file) : protoPieces(bytes, file);
  // The first piece decides the signal when the name does not tell, so it is read now.
  let firstPiece: IteratorResult<RequestPiece>;
  try {
    firstPiece = await pieces.next();
  } catch (err) {
    return failed(err);
  }
  if (json) stream.format = state.lines ? 'jsonl' : 'json';
  if (!hinted && !firstPiece.done) stream.signal = (json ? state.signal : guessWireSignal(firstPiece.value.bytes)) ?? 'traces';
  stream.pieces = (async function* () {
    try {
      if (!firstPiece.done) yield firstPiece.value;
      for (;;) {
        const next = await pieces.next();
        if (next.done) return;
        yield next.value;
      }
    } catch (err) {
      failed(err);
    }
  })();
  return stream;
}

interface JsonState {
  /** Whether the file turned out to be JSON lines. */
  lines: boolean;
  /** The signal: given, or that of the first request. */
  signal: Signal | undefined;
}

/** OTLP/JSON lines one request per piece; a document spread over several lines is parsed whole. */
async function* jsonPieces(b: ByteStream, file: string, named: boolean, state: JsonState): AsyncGenerator<RequestPiece> {
  let request = 0, lineNo = 0, text = '';
  // Chunks may split a character; the decoder holds its first bytes back.
  const utf8 = new StringDecoder('utf8');
  const decode = (value: unknown, line?: number): Uint8Array => {
    const signal = (state.signal ??= jsonSignal(value as Record<string, unknown>) ?? 'traces');
    return requestType(signal).encode(decodeOtlpJsonValue(signal, value, file, line)).finish();
  };
  for (;;) {
    const more = await b.fill(b.buffered + 1);
    text += utf8.write(b.take(b.buffered));
    if (!more) text += utf8.end();
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, nl).replace(/^\uFEFF/, '');
      text = text.slice(nl + 1);
      lineNo++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        if (named || request > 0) throw jsonSyntaxError(line, err, file, lineNo);
        // Not JSON lines: one document over several lines.
        yield { bytes: decode(parseWhole(`${line}\n${text}${await rest(b, utf8)}`, file)), request: 0 };
        return;
      }
      state.lines = true;
      yield { bytes: decode(value, lineNo), request: request++ };
    }
    if (!more) break;
  }
  if (text.trim() !== '') {
    lineNo++;
    const value = request > 0 ? parseLine(text, file, lineNo) : parseWhole(text, file);
    yield { bytes: decode(value, request > 0 ? lineNo : undefined), request: request++ };
  }
  if (request === 0) throw new TemplateError('is empty', { file, code: 'ERR_TEMPLATE_EMPTY' });
}

async function rest(b: ByteStream, utf8: StringDecoder): Promise<string> {
  const parts: string[] = [];
  while (await b.fill(b.buffered + 1)) parts.push(utf8.write(b.take(b.buffered)));
  parts.push(utf8.write(b.take(b.buffered)), utf8.end());
  return parts.join('');
}

function parseLine(line: string, file: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw jsonSyntaxError(line, err, file, lineNo);
  }
}

function parseWhole(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw jsonSyntaxError(text, err, file);
  }
}

/** Length-prefixed records, one request per piece. */
async function* recordPieces(b: ByteStream, file: string): AsyncGenerator<RequestPiece> {
  for (let request = 0; !(await b.atEnd()); request++) {
    const at = b.offset;
    if (!(await b.fill(RECORD_PREFIX))) throw new TemplateError(`truncated record length (${b.buffered} of 4 bytes)`, { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
    const len = b.take(RECORD_PREFIX).readUInt32BE(0);
    if (!(await b.fill(len))) throw new TemplateError(`record of ${len} bytes runs past the end of the file`, { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
    yield { bytes: b.take(len), request };
  }
}

/** A bare request, one top-level resource field per piece. */
async function* protoPieces(b: ByteStream, file: string): AsyncGenerator<RequestPiece> {
  while (!(await b.atEnd())) {
    const at = b.offset;
    await b.fill(20);
    // tag and length: two varints at the front
    let p = 0;
    const varint = (): number => {
      let v = 0, mul = 1;
      for (let i = 0; i < 10; i++) {
        if (p >= b.buffered) throw new TemplateError('truncated field header', { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
        const byte = b.peek(p++);
        v += (byte & 0x7f) * mul;
        if (byte < 0x80) return v;
        mul *= 128;
      }
      throw new TemplateError('varint longer than 10 bytes', { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
    };
    const t = varint();
    if ((t & 7) !== LEN) throw new TemplateError(`top-level field ${t >>> 3} has wire type ${t & 7}; not an OTLP request`, { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
    const len = varint();
    if (!(await b.fill(p + len))) throw new TemplateError(`field of ${len} bytes runs past the end of the file`, { file, offset: at, code: 'ERR_TEMPLATE_MALFORMED' });
    if (t !== RESOURCE_TAG) {
      b.skip(p + len);
      continue;
    }
    yield { bytes: b.take(p + len), request: 0 };
  }
}
