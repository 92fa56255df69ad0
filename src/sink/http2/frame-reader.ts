import { Http2Error } from '../../errors.js';
import { FLAG, FRAME, FRAME_HEADER, H2_ERROR, MAX_FRAME, PREFACE } from './frames.js';

/** What a FrameReader hands on, in the order the bytes arrived. */
export interface FrameSink {
  /** The client's connection preface arrived, whole and right. */
  preface(): void;
  /** The first bytes are not HTTP/2's preface; nothing more is read. */
  notHttp2(): void;
  /** A whole frame; `payload` lies in the socket's read buffer. */
  frame(type: number, flags: number, stream: number, payload: Buffer): void;
  /** An unpadded DATA frame whose payload runs past this read; its parts follow through dataPart. */
  dataStart(stream: number, flags: number, length: number): void;
  /** The next part of the payload dataStart announced; `last` once all of it has come. */
  dataPart(part: Buffer, last: boolean): void;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Cuts a connection's bytes into HTTP/2 frames (RFC 9113 §4.1), after the client's preface.
 * Whole frames are handed on where they lie. A DATA payload cut by a read's end is handed
 * on in parts as it arrives, so no request is ever gathered into one buffer here; any other
 * frame cut by a read waits for the rest (frames are at most 16 KiB: SETTINGS_MAX_FRAME_SIZE).
 */
export class FrameReader {
  readonly #sink: FrameSink;
  /** Bytes not yet handed on: a frame header, or a whole non-DATA frame, cut by a read's end. */
  #held: Buffer = NO_BYTES;
  #prefaceSeen = false;
  /** Payload bytes still to come of the DATA frame dataStart announced. */
  #dataLeft = 0;
  #stopped = false;

  constructor(sink: FrameSink) {
    this.#sink = sink;
  }

  /** The client's preface has arrived (and the session's SETTINGS have gone out). */
  get prefaceSeen(): boolean {
    return this.#prefaceSeen;
  }

  /** Reads nothing more: the connection is closing after an error. */
  stop(): void {
    this.#stopped = true;
    this.#held = NO_BYTES;
  }

  /** Throws an Http2Error for a frame over SETTINGS_MAX_FRAME_SIZE, and whatever the sink throws. */
  push(chunk: Buffer): void {
    if (this.#stopped) return;
    let at = 0;
    if (this.#dataLeft > 0) {
      at = Math.min(this.#dataLeft, chunk.length);
      this.#dataLeft -= at;
      this.#sink.dataPart(at === chunk.length ? chunk : chunk.subarray(0, at), this.#dataLeft === 0);
      if (at === chunk.length) return;
    }
    let buf = chunk;
    if (this.#held.length > 0) {
      buf = Buffer.concat([this.#held, at === 0 ? chunk : chunk.subarray(at)]);
      at = 0;
      this.#held = NO_BYTES;
    }
    if (!this.#prefaceSeen) {
      if (buf.length - at < PREFACE.length) {
        this.#held = buf.subarray(at);
        return;
      }
      if (!buf.subarray(at, at + PREFACE.length).equals(PREFACE)) {
        this.stop();
        return this.#sink.notHttp2();
      }
      this.#prefaceSeen = true;
      at += PREFACE.length;
      this.#sink.preface();
    }
    while (buf.length - at >= FRAME_HEADER && !this.#stopped) {
      const length = buf.readUIntBE(at, 3);
      const type = buf[at + 3]!;
      const flags = buf[at + 4]!;
      const id = buf.readUInt32BE(at + 5) & 0x7fffffff;
      if (length > MAX_FRAME) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, `frame of ${length} bytes is over SETTINGS_MAX_FRAME_SIZE ${MAX_FRAME}`);
      const available = buf.length - at - FRAME_HEADER;
      if (available < length && type === FRAME.DATA && (flags & FLAG.PADDED) === 0) {
        this.#sink.dataStart(id, flags, length);
        this.#dataLeft = length - available;
        if (available > 0) this.#sink.dataPart(buf.subarray(at + FRAME_HEADER), false);
        return;
      }
      if (available < length) break;
      this.#sink.frame(type, flags, id, buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length));
      at += FRAME_HEADER + length;
    }
    if (at < buf.length && !this.#stopped) this.#held = buf.subarray(at);
  }
}
