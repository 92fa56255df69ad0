import type { Signal } from '../otlp/signals.js';
import { StreamingCount } from './streaming-count.js';

/**
 * Recycles message buffers. A fresh multi-MiB ArrayBuffer per request costs page faults
 * on first touch and an external-memory GC pressure that, at ~1 GB/s, took more sink CPU
 * than counting did. Buffers come in power-of-two classes so frames of varying size reuse them.
 */
export class ReceiveBufferPool {
  static readonly MIN_POOLED = 64 * 1024;
  readonly #free = new Map<number, Buffer[]>();
  readonly #maxIdleBytes: number;
  #idleBytes = 0;

  constructor(maxIdleBytes: number) {
    this.#maxIdleBytes = maxIdleBytes;
  }

  /** A buffer of exactly `length` bytes (a view of a pooled one), contents undefined. */
  take(length: number): Buffer {
    if (length < ReceiveBufferPool.MIN_POOLED) return Buffer.allocUnsafe(length);
    const capacity = 2 ** Math.ceil(Math.log2(length));
    const buf = this.#free.get(capacity)?.pop();
    if (buf) this.#idleBytes -= capacity;
    return (buf ?? Buffer.allocUnsafeSlow(capacity)).subarray(0, length);
  }

  /** Hands a buffer from `take` back; the caller must hold no view of it any more. */
  give(buf: Buffer): void {
    const capacity = buf.buffer.byteLength;
    if (capacity < ReceiveBufferPool.MIN_POOLED || this.#idleBytes + capacity > this.#maxIdleBytes) return;
    const whole = Buffer.from(buf.buffer, 0, capacity);
    const list = this.#free.get(capacity);
    if (list) list.push(whole);
    else this.#free.set(capacity, [whole]);
    this.#idleBytes += capacity;
  }
}

/**
 * The request side of a unary gRPC call on the wire: one length-prefixed message
 * (1 byte compressed flag, 4 bytes big-endian length, then the message) spread over
 * the stream's DATA chunks. The message is copied once, into a buffer of its declared size;
 * an uncompressed one is counted as it is copied (see StreamingCount), or, when nothing
 * needs the message after its count, counted where each chunk landed and not copied at all.
 */
export class MessageReader {
  readonly #max: number;
  readonly #pool: ReceiveBufferPool;
  readonly #prefix = Buffer.alloc(5);
  #prefixLength = 0;
  readonly #signal: Signal | undefined;
  readonly #keep: boolean;
  #message: Buffer | undefined;
  #count: StreamingCount | undefined;
  #filled = 0;
  #extra = 0;

  /**
   * `max` bounds the declared length, checked before anything is allocated; with `signal`,
   * an uncompressed message's events are counted as it arrives. `keep: false`: nothing
   * reads the message once it is counted, so an uncompressed span or log message is not kept.
   */
  constructor(max: number, pool: ReceiveBufferPool, signal?: Signal, keep = true) {
    this.#max = max;
    this.#pool = pool;
    this.#signal = signal;
    this.#keep = keep;
  }

  /** Declared length of the message, once its prefix has arrived. */
  get declaredLength(): number | undefined {
    return this.#prefixLength === 5 ? this.#prefix.readUInt32BE(1) : undefined;
  }

  /** True once the prefix announced more than `max` bytes; the caller stops pushing. */
  get tooLarge(): boolean {
    const n = this.declaredLength;
    return n !== undefined && n > this.#max;
  }

  get compressed(): boolean {
    return this.#prefixLength === 5 && this.#prefix[0] !== 0;
  }

  push(chunk: Buffer): void {
    let at = 0;
    if (this.#prefixLength < 5) {
      const n = Math.min(5 - this.#prefixLength, chunk.length);
      chunk.copy(this.#prefix, this.#prefixLength, 0, n);
      this.#prefixLength += n;
      at = n;
      if (this.#prefixLength < 5 || this.tooLarge) return;
      const signal = this.#signal;
      if (!this.#keep && signal !== undefined && signal !== 'metrics' && !this.compressed) {
        this.#count = StreamingCount.withoutCopy(signal, this.declaredLength!);
      } else {
        this.#message = this.#pool.take(this.declaredLength!);
        if (signal && !this.compressed) this.#count = new StreamingCount(signal, this.#message);
      }
    }
    const n = Math.min(this.declaredLength! - this.#filled, chunk.length - at);
    const message = this.#message;
    if (message) {
      chunk.copy(message, this.#filled, at, at + n);
      this.#count?.advance(this.#filled + n);
    } else if (n > 0) {
      this.#count!.push(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
    }
    this.#filled += n;
    this.#extra += chunk.length - at - n;
  }

  /**
   * The complete message (empty when it was counted without being kept) with its length and
   * its count, when it was counted; or why the request body is not exactly one message.
   */
  finish(): { message: Buffer; length: number; count?: StreamingCount } | { problem: string } {
    if (this.#prefixLength === 0) return { problem: 'request has no message' };
    if (this.#prefixLength < 5) return { problem: `request ends inside the 5-byte message prefix (${this.#prefixLength} bytes)` };
    const length = this.declaredLength!;
    if (this.#filled < length) return { problem: `request ends after ${this.#filled} of the ${length} message bytes its prefix announced` };
    if (this.#extra > 0) return { problem: `unary call carries ${this.#extra} bytes after its one message` };
    return { message: this.#message ?? NOT_KEPT, length, count: this.#count };
  }
}

const NOT_KEPT = Buffer.alloc(0);

/** `grpc-message` is percent-encoded: bytes outside printable ASCII, and `%` itself. */
export function percentEncode(text: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
