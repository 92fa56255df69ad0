/**
 * Where a pipeline worker's frames come from: compiled in memory, or read from a frame
 * file on disk (stream mode, src/worker/streamed-frames.ts). The send loop asks for a
 * frame to be ready, then stamps it; it never sees which.
 */
import type { CompiledTemplate } from '../compile/frame.js';
import type { GzipImage } from '../compile/gzip-image.js';
import type { Encoding } from '../otlp/signals.js';
import type { CycleControls } from '../stamp/stamper.js';
import { Stamper, type StamperOptions } from '../stamp/stamper.js';
import type { SendBufferPool } from './send-buffer-pool.js';

/** A stamped request's bytes, which must not change until its send has settled: then `release`. */
export interface StampedRequest {
  bytes: Buffer;
  release(): void;
}

/** A request stamped by `write` (which returns its length) into a buffer from `pool`; release gives the buffer back. */
export function stampedInto(pool: SendBufferPool, write: (out: Buffer) => number): StampedRequest {
  const buf = pool.get();
  return { bytes: buf.subarray(0, write(buf)), release: () => pool.put(buf) };
}

export interface FrameSource {
  /** Frames per replay cycle. */
  readonly count: number;
  /** Largest frame over all encodings: the size of a pooled send buffer. */
  readonly maxFrameBytes: number;
  events(i: number): number;
  /** Does the data name traces (trace ids a logs or metrics pipeline may take from its traces pipeline)? */
  readonly namesTraces: boolean;
  /** Paced replay: a cycle's length in ms and frame `i`'s due time in it (undefined: as the rate allows). */
  readonly cycleMs: number | undefined;
  dueMs(i: number): number | undefined;
  /**
   * Starts a replay cycle (its times based at `originMs` on the wall clock, else now); the
   * processors' cycle hooks act on what it returns.
   */
  beginCycle(cycle: number, originMs?: number): CycleControls;
  /** Wall-clock ms before which this cycle's times would lie in the future (metrics continuity); 0 = none. */
  dueAt(): number;
  /** Resolves once frame `i` can be stamped (undefined: it can now); it stays stampable until `ready(i + 1)`. */
  ready(i: number): Promise<void> | undefined;
  /** Frame `i`'s gzip image for stamped gzip (built at install; in memory only). */
  gzipImage(i: number, encoding: Encoding): GzipImage | undefined;
  /**
   * Frame `i` in `encoding` with this cycle's ids, times and values: copied into a buffer
   * from `pool` (its size is `maxFrameBytes`), or stamped where the frame already lies.
   */
  stamp(i: number, encoding: Encoding, pool: SendBufferPool): StampedRequest;
  summary(encoding: Encoding): { frames: number; events: number; bytes: number };
  close(): Promise<void>;
}

/**
 * Compiled frames whose bytes a request in flight holds. One set for every MemoryFrames:
 * the scheduled loop stamps a compile's frames from several at once (one per cycle in flight).
 */
const lentFrames = new WeakSet<Buffer>();

export class MemoryFrames implements FrameSource {
  private readonly stamper: Stamper;

  constructor(readonly compiled: CompiledTemplate, opts: StamperOptions) {
    this.stamper = new Stamper(compiled, opts);
  }

  get count(): number {
    return this.compiled.frames.length;
  }

  get maxFrameBytes(): number {
    return this.compiled.maxFrameBytes;
  }

  events(i: number): number {
    return this.compiled.frames[i]!.events;
  }

  get namesTraces(): boolean {
    return this.compiled.traceGroups.length > 0;
  }

  get cycleMs(): number | undefined {
    return this.compiled.cycleMs;
  }

  dueMs(i: number): number | undefined {
    return this.compiled.frames[i]!.dueMs;
  }

  beginCycle(cycle: number, originMs?: number): CycleControls {
    this.stamper.beginCycle(cycle, originMs);
    return this.stamper;
  }

  dueAt(): number {
    return this.stamper.dueAt();
  }

  ready(): undefined {
    return undefined;
  }

  /**
   * Stamped where the frame lies, its bytes lent to the request until it settles: a copy
   * of every byte less per request (the sender's largest cost after the socket's). While
   * an earlier request still holds the frame (fewer frames than requests in flight), it is
   * copied into a send buffer instead. Stamping rewrites every site from the cycle's
   * tables, never from what the bytes hold (Stamper.stampFrameInPlace), so a frame stamped
   * again is what a fresh copy would be.
   */
  stamp(i: number, encoding: Encoding, pool: SendBufferPool): StampedRequest {
    const frame = this.compiled.frames[i];
    const bytes = frame?.[encoding]?.bytes;
    if (!frame || !bytes || lentFrames.has(bytes)) return stampedInto(pool, (out) => this.stamper.stamp(i, encoding, out));
    lentFrames.add(bytes);
    return { bytes: this.stamper.stampFrameInPlace(frame, encoding), release: () => lentFrames.delete(bytes) };
  }

  gzipImage(i: number, encoding: Encoding): GzipImage | undefined {
    return this.compiled.frames[i]![encoding]?.gzip;
  }

  summary(encoding: Encoding): { frames: number; events: number; bytes: number } {
    const c = this.compiled;
    let bytes = 0;
    for (const f of c.frames) bytes += f.byteLength[encoding] ?? 0;
    return { frames: c.frames.length, events: c.totalEvents, bytes };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
