import { WireError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { countMetricPoints } from './counter.js';

const LEN = 2;
/** Resource* in the request, Scope* in a Resource*, items in a Scope*: all length-delimited. */
const FIELDS = [1, 2, 2];
/** Not enough bytes have arrived to read the next tag or length. */
const MORE = -1;
const NO_BYTES = new Uint8Array(0);

/**
 * Counts the events of an encoded Export*ServiceRequest while its bytes arrive, as
 * countProto does once they all have (same result, same WireError for malformed input).
 * Walking a 3 MiB request after it arrived read every item's header from memory, one
 * cache miss per item: it took most of the sink's CPU. Walked as each chunk lands, the
 * headers are read while the chunk is still in cache.
 *
 * Only item headers are read; an item's payload is skipped unless it is a metric (its
 * data points are counted once all of it has arrived). So spans and log records can be
 * counted without the request ever being copied into one buffer (`withoutCopy`): each
 * chunk is walked where it landed, and only a tag or length cut by a chunk's end is kept.
 */
export class StreamingCount {
  /** The request's bytes from absolute offset #base: all of it as it fills, or (withoutCopy) the latest chunk. */
  #buf: Uint8Array;
  #base = 0;
  /** withoutCopy: the bytes of an unfinished tag or length from earlier chunks, from absolute offset #carryFrom. */
  #carry = NO_BYTES;
  #carryFrom = 0;
  readonly #metrics: boolean;
  /** Where the message being walked at each depth ends (depth 0: the request). */
  readonly #ends = [0, 0, 0];
  #depth = 0;
  #pos = 0;
  #events = 0;
  /** Set when the bytes so far are malformed; thrown by finish(). */
  #error: WireError | undefined;
  /** Set while the walk waits for a whole metric: [start, end) of its payload. */
  #metric: [number, number] | undefined;
  #value = 0;

  /** `buf`: the buffer the request is being written into, whole (its length is the request's). */
  constructor(signal: Signal, buf: Uint8Array, length = buf.length) {
    this.#buf = buf;
    this.#metrics = signal === 'metrics';
    this.#ends[0] = length;
  }

  /**
   * Counts a request of `length` bytes from its chunks as they arrive (`push`), keeping none
   * of them: for a sink that needs only the count. Metrics need whole metrics in one buffer.
   */
  static withoutCopy(signal: Exclude<Signal, 'metrics'>, length: number): StreamingCount {
    return new StreamingCount(signal, NO_BYTES, length);
  }

  /** withoutCopy: walks the next chunk of the request; the caller gives no more bytes than the request's length. */
  push(chunk: Uint8Array): void {
    const end = this.#base + this.#buf.length;
    // Only a tag or length cut by the previous chunk's end (under 20 bytes) is still needed.
    if (this.#pos < end) {
      const keep = new Uint8Array(end - this.#pos);
      for (let p = this.#pos; p < end; p++) keep[p - this.#pos] = this.#byte(p);
      this.#carry = keep;
      this.#carryFrom = this.#pos;
    }
    this.#base = end;
    this.#buf = chunk;
    this.advance(end + chunk.length);
  }

  /** Walks as far as the first `filled` bytes of the buffer allow. */
  advance(filled: number): void {
    if (this.#error) return;
    try {
      this.#walk(filled);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.#error = err;
    }
  }

  /** The request's events, once all of it has arrived; throws WireError for a malformed request. */
  finish(): number {
    const arrived = this.#base + this.#buf.length;
    this.advance(arrived);
    if (this.#error) throw this.#error;
    if (arrived < this.#ends[0]!) throw new WireError(`request ends after ${arrived} of its ${this.#ends[0]} bytes`, arrived);
    return this.#events;
  }

  #walk(filled: number): void {
    const buf = this.#buf;
    const ends = this.#ends;
    for (;;) {
      if (this.#metric) {
        const [s, e] = this.#metric;
        if (e > filled) return;
        this.#events += countMetricPoints(buf, s, e);
        this.#metric = undefined;
      }
      const end = ends[this.#depth]!;
      let pos = this.#pos;
      if (pos >= end) {
        if (this.#depth === 0) return;
        this.#depth--;
        continue;
      }
      if (pos >= filled) return;
      const at = pos;
      pos = this.#varint(pos, end, filled);
      if (pos === MORE) return;
      const tag = this.#value;
      if (tag >>> 3 === 0) throw new WireError('field number 0', at);
      const wireType = tag & 7;
      const field = FIELDS[this.#depth]!;
      if (wireType === LEN) {
        const next = this.#varint(pos, end, filled);
        if (next === MORE) return;
        const len = this.#value;
        if (len > end - next) throw new WireError(`length ${len} runs past the end of its message`, pos);
        this.#pos = next + len;
        if (tag >>> 3 !== field) continue;
        if (this.#depth < 2) {
          this.#depth++;
          ends[this.#depth] = next + len;
          this.#pos = next;
        } else if (this.#metrics) this.#metric = [next, next + len];
        else this.#events++;
        continue;
      }
      if (tag >>> 3 === field) throw new WireError(`field ${field} has wire type ${wireType}, expected 2 (length-delimited)`, at);
      if (wireType === 0) {
        const next = this.#varint(pos, end, filled);
        if (next === MORE) return;
        this.#pos = next;
      } else if (wireType === 1 || wireType === 5) {
        const n = wireType === 1 ? 8 : 4;
        if (end - pos < n) throw new WireError(`truncated ${n}-byte field`, pos);
        this.#pos = pos + n;
      } else {
        throw new WireError(`unsupported wire type ${wireType}`, pos);
      }
    }
  }

  /** The byte at absolute offset `p`, which has arrived and is in #buf or #carry. */
  #byte(p: number): number {
    return p >= this.#base ? this.#buf[p - this.#base]! : this.#carry[p - this.#carryFrom]!;
  }

  /** Reads a varint at `pos` into #value and returns the position after it, or MORE when it runs past `filled` but not `end`. */
  #varint(pos: number, end: number, filled: number): number {
    const start = pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new WireError('truncated varint', start);
      if (pos >= filled) return MORE;
      const b = this.#byte(pos++);
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new WireError('varint too large', start);
        this.#value = result;
        return pos;
      }
      mul *= 128;
    }
    throw new WireError('varint longer than 10 bytes', start);
  }
}
