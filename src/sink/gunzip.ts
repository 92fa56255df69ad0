import { createGunzip, gunzipSync, type Gunzip } from 'node:zlib';
import type { Signal } from '../otlp/signals.js';
import type { ReceiveBufferPool } from './grpc-message.js';
import { StreamingCount } from './streaming-count.js';

/** Compressed bytes per zlib call: ~6× that inflated, which stays in this core's cache for the count. */
const SLICE = 64 * 1024;
/**
 * zlib's output chunk when the output is not adopted, and the least stated length that is:
 * output past a stated length comes in chunks of that length, so a small one is not believed.
 */
const CHUNK = 64 * 1024;
/** deflate expands at most ~1032:1, so a trailer stating more is not believed (nor allocated). */
const MAX_RATIO = 1032;

/** A request body as inflated. */
export interface Inflated {
  bytes: Buffer;
  /** Its events, counted slice by slice as it was inflated (`countAs`; a request of the length its trailer states). */
  count?: StreamingCount;
  /** Set when `bytes` is pooled: gives it back once nothing holds it. */
  recycle?: (b: Buffer) => void;
}

/**
 * gunzip on zlib's thread pool into a pooled buffer of the length the gzip trailer states
 * (ISIZE: the length mod 2^32 of the last member; zlib checks it), counting the request
 * as `countAs` while each inflated slice is still in cache.
 *
 * Inflating into a fresh 3 MiB buffer per request (what zlib.gunzip does) made V8 run a
 * full mark-compact every ~150 ms, for the external memory, and walking the request
 * after it was inflated read every item header from memory: together a third of the
 * sink's CPU on gzip. Node's zlib has no public way to inflate into a given buffer, so
 * the stream's own output buffer (`_outBuffer`, `_chunkSize`) is swapped for the pooled
 * one before any input; every output chunk is then checked to be a view of it, and when
 * one is not (a Node that renamed those, or output past the stated length) the chunks are
 * copied and the request counted afterwards: slower, never wrong.
 *
 * Throws zlib's errors for a malformed body, and one with code ERR_BUFFER_TOO_LARGE (as
 * zlib.gunzip's) past `maxOutputLength`.
 */
export function gunzipRequest(body: Buffer, maxOutputLength: number, pool: ReceiveBufferPool, countAs?: Signal): Promise<Inflated> {
  const stated = believedLength(body, maxOutputLength) ?? 0;
  // One byte over the stated length, so that zlib never fills it and allocates another.
  const whole = stated > 0 ? pool.take(stated + 1) : undefined;
  const gunzip = createGunzip({ chunkSize: CHUNK });
  if (whole) adoptOutput(gunzip, whole);
  const count = whole && countAs ? new StreamingCount(countAs, whole.subarray(0, stated)) : undefined;
  return new Promise((resolve, reject) => {
    let filled = 0;
    /** Output that did not land in `whole`, from the first such chunk on. */
    let spilled: Buffer[] | undefined;
    gunzip.on('data', (chunk: Buffer) => {
      if (!spilled && whole && chunk.buffer === whole.buffer && chunk.byteOffset === whole.byteOffset + filled) {
        filled += chunk.length;
        count?.advance(Math.min(filled, stated));
      } else {
        spilled ??= whole ? [Buffer.from(whole.subarray(0, filled))] : [];
        spilled.push(chunk);
        filled += chunk.length;
      }
      if (filled > maxOutputLength) {
        gunzip.destroy();
        reject(Object.assign(new RangeError(`gunzip output larger than ${maxOutputLength} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' }));
      }
    });
    gunzip.on('error', reject);
    gunzip.on('end', () => {
      if (spilled) {
        if (whole) pool.give(whole);
        return resolve({ bytes: Buffer.concat(spilled, filled) });
      }
      if (!whole) return resolve({ bytes: Buffer.alloc(0) });
      resolve({ bytes: whole.subarray(0, filled), count: filled === stated ? count : undefined, recycle: (b) => pool.give(b) });
    });
    for (let at = 0; at < body.length; at += SLICE) gunzip.write(body.subarray(at, at + SLICE));
    gunzip.end();
  });
}

/**
 * gunzip on this thread, at once, into a pooled buffer of the length the gzip trailer
 * states (as gunzipRequest; the request is counted afterwards, from the buffer).
 *
 * For HTTP/1.1, where each connection carries one request at a time: handing the inflate
 * to zlib's thread pool made a 3 MB request take 8–10 ms instead of 3 while the sender
 * shared the machine's two cores (the pool thread waits to be scheduled, and once per
 * slice the main thread too), so senders waited on their answers and gzip end to end ran
 * at 1.1–1.3M spans/s; inflated here, 1.8–1.9M. An HTTP/2 connection is the opposite
 * case: every call on it waits while the main thread inflates one, and gRPC gzip fell
 * from 1.3M to 0.9M spans/s, so the gRPC server keeps gunzipRequest.
 *
 * The synchronous step of Node's own gunzipSync (`_processChunk` without a callback) is
 * run on a stream whose output buffer was swapped for the pooled one; when Node lacks
 * those internals, or the output did not land in the buffer (more than stated), the
 * output is zlib's own: slower, never wrong. Throws as gunzipSync does (zlib's errors,
 * ERR_BUFFER_TOO_LARGE past `maxOutputLength`).
 */
export function gunzipRequestSync(body: Buffer, maxOutputLength: number, pool: ReceiveBufferPool): Inflated {
  const stated = believedLength(body, maxOutputLength);
  const whole = stated === undefined ? undefined : pool.take(stated + 1);
  const gunzip = createGunzip({ chunkSize: CHUNK, maxOutputLength }) as Gunzip & { _processChunk?: (chunk: Buffer, flush: number) => Buffer; _finishFlushFlag?: number };
  if (!whole || !adoptOutput(gunzip, whole) || typeof gunzip._processChunk !== 'function' || typeof gunzip._finishFlushFlag !== 'number') {
    if (whole) pool.give(whole);
    gunzip.close();
    return { bytes: gunzipSync(body, { maxOutputLength }) };
  }
  let bytes: Buffer;
  try {
    bytes = gunzip._processChunk(body, gunzip._finishFlushFlag);
  } catch (err) {
    gunzip.close();
    pool.give(whole);
    throw err;
  }
  if (bytes.buffer === whole.buffer && bytes.byteOffset === whole.byteOffset) return { bytes, recycle: (b) => pool.give(b) };
  // zlib's own buffers (output past the stated length): nothing points into `whole`.
  pool.give(whole);
  return { bytes };
}

/** The length a body's gzip trailer states, if it is to be believed (see gunzipRequest). */
function believedLength(body: Buffer, maxOutputLength: number): number | undefined {
  const stated = body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0;
  return stated >= CHUNK && stated <= maxOutputLength && stated <= body.length * MAX_RATIO ? stated : undefined;
}

/** Has the stream inflate into `out` (see gunzipRequest), and says whether it could; harmless if Node's internals differ. */
function adoptOutput(gunzip: Gunzip, out: Buffer): boolean {
  const internals = gunzip as unknown as { _outBuffer?: Buffer; _outOffset?: number; _chunkSize?: number };
  if (!Buffer.isBuffer(internals._outBuffer) || internals._outOffset !== 0 || typeof internals._chunkSize !== 'number') return false;
  internals._outBuffer = out;
  internals._chunkSize = out.length;
  return true;
}
