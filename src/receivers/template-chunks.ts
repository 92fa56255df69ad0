/**
 * A template read in chunks for stream mode (templates larger than memory): the file is
 * streamed (src/inspect/template-stream.ts) and cut into chunks of about `chunkBytes`
 * of request bytes, each loaded as a template of its own. Only one chunk is held at a
 * time. A recorded request is never cut; a bare request is cut between resources.
 *
 * What is per chunk rather than per file (see the README's "Templates larger than
 * memory"): a trace's time base, trace copies and id groups. A trace whose spans lie
 * in two chunks is timed as two (each part keeps its own spacing) but keeps one new
 * trace id, since new ids derive from the original ones.
 */
import { TemplateError } from '../errors.js';
import { openTemplateStream, type RequestPiece } from '../inspect/template-stream.js';
import type { Signal } from '../otlp/signals.js';
import { normalize } from './normalize.js';
import { checkBinary, type LoadOptions, resourceCount } from './template.js';
import type { TemplateData } from './template-data.js';

/** What stream mode needs to find and (re)build a template's frame file. */
export interface StreamedTemplate {
  file: string;
  /** Size and modification time of the file: a changed template gets a new frame file. */
  size: number;
  mtimeMs: number;
  cacheDir: string;
  chunkBytes: number;
  /** See templateChunks: a chunk's bytes are reused for the next one. */
  chunks(): AsyncGenerator<TemplateData>;
}

/** The file's chunks in order; a chunk's bytes are only valid until the next chunk is asked for. */
export async function* templateChunks(file: string, signal: Signal, load: LoadOptions, chunkBytes: number): AsyncGenerator<TemplateData> {
  const stream = await openTemplateStream(file, signal);
  const several = stream.format === 'records' || stream.format === 'jsonl';
  let parts: Uint8Array[] = [];
  let bytes = 0;
  /** Resources per request in the chunk being gathered (records and JSON lines only). */
  let requests: number[] = [];
  let lastRequest = -1;
  let chunk = 0;
  const json = stream.format === 'json' || stream.format === 'jsonl';
  /**
   * Every chunk is gathered into the same buffer: the consumer is done with a chunk before
   * it asks for the next, and a fresh 32 MiB each time leaves the allocator's heap
   * fragmented (resident memory grew with the template's size).
   */
  let scratch = Buffer.alloc(0);
  const flush = (): TemplateData => {
    if (scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(Math.max(bytes, chunkBytes + (chunkBytes >> 3)));
    const buf = scratch.subarray(0, bytes);
    let at = 0;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    // Offsets in messages are within the chunk: only the first chunk's are the file's (for a bare request).
    const source = chunk === 0 ? file : `${file} (stream chunk ${chunk})`;
    parts = [];
    bytes = 0;
    chunk++;
    // JSON was encoded by us; binary is checked as loadTemplate checks it.
    if (!json) checkBinary(buf, source, signal, 0);
    const data = normalize(signal, buf, source, { ...load, byteOffsets: !json });
    if (several && requests.length > 1) data.requests = requests;
    requests = [];
    lastRequest = -1;
    return data;
  };
  const add = (piece: RequestPiece): void => {
    parts.push(piece.bytes);
    bytes += piece.bytes.length;
    if (!several) return;
    const n = resourceCount(piece.bytes, 0, piece.bytes.length);
    if (piece.request === lastRequest) requests[requests.length - 1]! += n;
    else requests.push(n);
    lastRequest = piece.request;
  };
  for await (const piece of stream.pieces) {
    // A recorded request stays whole: a chunk ends only between requests.
    const between = !several || piece.request !== lastRequest;
    if (bytes > 0 && between && bytes + piece.bytes.length > chunkBytes) yield flush();
    add(piece);
  }
  if (bytes > 0) yield flush();
  if (chunk === 0) throw new TemplateError('is empty', { file, code: 'ERR_TEMPLATE_EMPTY' });
}
