import { Http2Error } from '../../errors.js';
import { FLAG, H2_ERROR, unpad } from './frames.js';

/** One complete header block and what its HEADERS frame said. */
export interface HeaderBlock {
  stream: number;
  endStream: boolean;
  block: Buffer;
}

/**
 * Header blocks as HEADERS and CONTINUATION frames carry them (RFC 9113 §6.2, §6.10): a
 * HEADERS frame's padding and priority come off, and a block split over CONTINUATION
 * frames is put together, up to `maxSize` bytes. While one is open, no other frame may come.
 */
export class HeaderBlocks {
  #open: { stream: number; endStream: boolean; parts: Buffer[]; size: number } | undefined;

  constructor(private readonly maxSize: number) {}

  /** A block waits for its CONTINUATION frames. */
  get open(): boolean {
    return this.#open !== undefined;
  }

  /** The block, when this HEADERS frame ends it (END_HEADERS). */
  headers(flags: number, stream: number, payload: Buffer): HeaderBlock | undefined {
    if (stream === 0 || stream % 2 === 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, `HEADERS on stream ${stream}`);
    let fragment = (flags & FLAG.PADDED) === 0 ? payload : unpad(payload);
    if (flags & FLAG.PRIORITY) {
      if (fragment.length < 5) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'HEADERS too short for its priority');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (flags & FLAG.END_HEADERS) return { stream, endStream, block: fragment };
    // Copied: the socket's read buffer is not kept past the frames that arrived in it.
    this.#open = { stream, endStream, parts: [Buffer.from(fragment)], size: fragment.length };
    return undefined;
  }

  /** The block, when this CONTINUATION frame ends it. */
  continuation(flags: number, stream: number, payload: Buffer): HeaderBlock | undefined {
    const open = this.#open;
    if (!open || open.stream !== stream) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    open.parts.push(Buffer.from(payload));
    open.size += payload.length;
    if (open.size > this.maxSize) throw new Http2Error(H2_ERROR.ENHANCE_YOUR_CALM, `header block over ${this.maxSize} bytes`);
    if ((flags & FLAG.END_HEADERS) === 0) return undefined;
    this.#open = undefined;
    return { stream, endStream: open.endStream, block: Buffer.concat(open.parts) };
  }
}
