import type { Socket } from 'node:net';
import { Http2Error } from '../../errors.js';
import type { Logger } from '../../log.js';
import { FrameReader } from './frame-reader.js';
import {
  DEFAULT_WINDOW, FLAG, FRAME, H2_ERROR, MAX_WINDOW, SETTING, frame, goawayFrame, rstStreamFrame, settingsFrame, unpad, windowUpdateFrame,
} from './frames.js';
import { HeaderBlocks, type HeaderBlock } from './header-block.js';
import { HpackDecoder } from './hpack.js';
import { ServerStream, type StreamOwner } from './server-stream.js';

/**
 * The server side of one HTTP/2 connection (RFC 9113), written for a sink that reads
 * requests as fast as they arrive. node:http2 copies every socket read inside nghttp2 and
 * calls into JavaScript once per 16 KiB DATA frame; here the FrameReader cuts the socket's
 * own buffers into frames and each DATA payload goes to its stream where it lies, even one
 * that spans reads. The session does what a server must: SETTINGS, PING, flow control both
 * ways, HPACK, CONTINUATION, RST_STREAM, GOAWAY. It sends no server push and ignores priorities.
 */

export interface SessionOptions {
  /** SETTINGS_INITIAL_WINDOW_SIZE: how much of one request may be in flight. */
  streamWindow: number;
  /** The connection's receive window, opened by a WINDOW_UPDATE right after SETTINGS. */
  connectionWindow: number;
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE; a header block over it closes the connection. */
  maxHeaderBlock: number;
  onStream(stream: ServerStream): void;
  log?: Logger;
}

/** RFC 9113 §3.4 answered in HTTP/1.1: a plain HTTP client reaching a gRPC port learns why nothing works. */
const NOT_HTTP2 = 'this port speaks gRPC over HTTP/2 only (send OTLP/HTTP to the sink\'s HTTP port)\n';

export class Http2Session implements StreamOwner {
  readonly #socket: Socket;
  readonly #opts: SessionOptions;
  readonly #decoder = new HpackDecoder();
  readonly #headerBlocks: HeaderBlocks;
  readonly #streams = new Map<number, ServerStream>();
  readonly #blocked = new Set<ServerStream>();
  readonly #reader = new FrameReader({
    preface: () => this.#sendPreface(),
    notHttp2: () => this.#notHttp2(),
    frame: (type, flags, id, payload) => this.#frame(type, flags, id, payload),
    dataStart: (id, flags, length) => this.#dataStart(id, flags, length),
    dataPart: (part, last) => this.#dataPart(part, last),
  });
  #out: Buffer[] = [];
  #flushQueued = false;
  /** The DATA frame whose payload is arriving in parts (undefined: its stream is closed). */
  #dataStream: ServerStream | undefined;
  #dataEnds = false;
  #lastStream = 0;
  #unacked = 0;
  #sendWindow = DEFAULT_WINDOW;
  #peerStreamWindow = DEFAULT_WINDOW;
  #closing = false;
  #failed = false;

  constructor(socket: Socket, opts: SessionOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#headerBlocks = new HeaderBlocks(opts.maxHeaderBlock);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => opts.log?.debug({ err: err.message }, 'sink: gRPC connection error'));
    socket.on('close', () => this.#onClose());
  }

  /** Graceful close: GOAWAY, then the connection ends once its open streams have. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#reader.prefaceSeen) return void this.#socket.end();
    this.#emit(goawayFrame(this.#lastStream, H2_ERROR.NO_ERROR));
    this.#endIfIdle();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  // StreamOwner: how streams send.
  trySend(out: Buffer, dataBytes: number): boolean {
    if (dataBytes > this.#sendWindow) return false;
    this.#sendWindow -= dataBytes;
    this.#emit(out);
    return true;
  }

  block(stream: ServerStream): void {
    this.#blocked.add(stream);
  }

  answered(stream: ServerStream): void {
    // A complete answer before the whole request: ask the client to stop sending (RFC 9113 §8.1).
    if (!stream.remoteEnded) this.#emit(rstStreamFrame(stream.id, H2_ERROR.NO_ERROR));
    this.#closeStream(stream);
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      this.#reader.push(chunk);
    } catch (err) {
      if (!(err instanceof Http2Error)) throw err;
      this.#fail(err);
    }
    if (this.#unacked >= this.#opts.connectionWindow / 4 && !this.#failed) {
      this.#emit(windowUpdateFrame(0, this.#unacked));
      this.#unacked = 0;
    }
    this.#flush();
  }

  /** An unpadded DATA frame whose payload runs past the read: its parts come through #dataPart. */
  #dataStart(id: number, flags: number, length: number): void {
    if (this.#headerBlocks.open) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'DATA inside a header block');
    if (id === 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'DATA on stream 0');
    const stream = this.#receiving(id);
    this.#account(stream, length);
    this.#dataStream = stream;
    this.#dataEnds = (flags & FLAG.END_STREAM) !== 0;
  }

  #dataPart(part: Buffer, last: boolean): void {
    const stream = this.#dataStream;
    if (stream && !stream.reset) stream.onData?.(part);
    if (!last) return;
    this.#dataStream = undefined;
    if (stream && this.#dataEnds) this.#remoteEnd(stream);
  }

  #frame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.#headerBlocks.open && type !== FRAME.CONTINUATION) {
      throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, `frame of type ${type} inside a header block`);
    }
    switch (type) {
      case FRAME.DATA: return this.#data(flags, id, payload);
      case FRAME.HEADERS: return this.#headers(this.#headerBlocks.headers(flags, id, payload));
      case FRAME.PRIORITY:
        if (payload.length !== 5) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'PRIORITY frame is not 5 bytes');
        return;
      case FRAME.RST_STREAM: {
        if (id === 0 || payload.length !== 4) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'malformed RST_STREAM');
        const stream = this.#streams.get(id);
        if (stream) {
          stream.reset = true;
          this.#closeStream(stream);
        }
        return;
      }
      case FRAME.SETTINGS: return this.#settings(flags, id, payload);
      case FRAME.PUSH_PROMISE: throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'a client may not send PUSH_PROMISE');
      case FRAME.PING:
        if (id !== 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'PING is not 8 bytes');
        if ((flags & FLAG.ACK) === 0) this.#emit(frame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY: return;
      case FRAME.WINDOW_UPDATE: return this.#windowUpdate(id, payload);
      case FRAME.CONTINUATION: return this.#headers(this.#headerBlocks.continuation(flags, id, payload));
      default: // Unknown frame types are ignored (RFC 9113 §4.1).
    }
  }

  #data(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'DATA on stream 0');
    const stream = this.#receiving(id);
    this.#account(stream, payload.length);
    const data = (flags & FLAG.PADDED) === 0 ? payload : unpad(payload);
    if (!stream) return;
    if (data.length > 0) stream.onData?.(data);
    if (flags & FLAG.END_STREAM) this.#remoteEnd(stream);
  }

  /** The stream a DATA frame is for, if it still reads; frames for closed streams only count against the window. */
  #receiving(id: number): ServerStream | undefined {
    const stream = this.#streams.get(id);
    if (stream && !stream.remoteEnded && !stream.reset) return stream;
    if (id > this.#lastStream) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
    return undefined;
  }

  /** Flow control: every DATA byte, padding included, is given back to the peer once read. */
  #account(stream: ServerStream | undefined, frameBytes: number): void {
    this.#unacked += frameBytes;
    if (!stream) return;
    stream.unacked += frameBytes;
    // Only a request larger than half the stream window needs its window reopened mid-way.
    if (stream.unacked >= this.#opts.streamWindow / 2) {
      this.#emit(windowUpdateFrame(stream.id, stream.unacked));
      stream.unacked = 0;
    }
  }

  #headers(complete: HeaderBlock | undefined): void {
    if (!complete) return;
    const { stream: id, endStream, block } = complete;
    // Every block is decoded, even one that is refused, to keep the HPACK table in step.
    const fields = this.#decoder.decode(block);
    const known = this.#streams.get(id);
    if (known) {
      // Trailers: a request's last frame.
      if (!endStream) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, `second HEADERS on stream ${id} without END_STREAM`);
      return this.#remoteEnd(known);
    }
    if (id <= this.#lastStream) return; // trailers of a stream already answered and closed
    this.#lastStream = id;
    if (this.#closing || this.#streams.size >= this.#opts.maxConcurrentStreams) {
      this.#emit(rstStreamFrame(id, H2_ERROR.REFUSED_STREAM));
      return;
    }
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of fields) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    const stream = new ServerStream(id, headers, this, this.#peerStreamWindow);
    this.#streams.set(id, stream);
    this.#opts.onStream(stream);
    if (endStream) this.#remoteEnd(stream);
  }

  #settings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & FLAG.ACK) {
      if (payload.length !== 0) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'SETTINGS length is not a multiple of 6');
    for (let at = 0; at < payload.length; at += 6) {
      const value = payload.readUInt32BE(at + 2);
      if (payload.readUInt16BE(at) !== SETTING.INITIAL_WINDOW_SIZE) continue;
      if (value > MAX_WINDOW) throw new Http2Error(H2_ERROR.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1');
      // A new initial window moves every open stream's window by the difference (RFC 9113 §6.9.2).
      for (const stream of this.#streams.values()) stream.sendWindow += value - this.#peerStreamWindow;
      this.#peerStreamWindow = value;
    }
    this.#emit(frame(FRAME.SETTINGS, FLAG.ACK, 0));
    this.#unblock();
  }

  #windowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new Http2Error(H2_ERROR.FRAME_SIZE_ERROR, 'WINDOW_UPDATE is not 4 bytes');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) throw new Http2Error(H2_ERROR.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) throw new Http2Error(H2_ERROR.FLOW_CONTROL_ERROR, 'connection window over 2^31-1');
    } else {
      const stream = this.#streams.get(id);
      if (!stream) return;
      if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) {
        this.#emit(rstStreamFrame(id, increment === 0 ? H2_ERROR.PROTOCOL_ERROR : H2_ERROR.FLOW_CONTROL_ERROR));
        stream.reset = true;
        return this.#closeStream(stream);
      }
      stream.sendWindow += increment;
    }
    this.#unblock();
  }

  #unblock(): void {
    const blocked = [...this.#blocked];
    this.#blocked.clear();
    for (const stream of blocked) stream.flush();
  }

  #remoteEnd(stream: ServerStream): void {
    if (stream.remoteEnded || stream.reset) return;
    stream.remoteEnded = true;
    // A stream answered before this point has been closed by answered().
    stream.onEnd?.();
  }

  #closeStream(stream: ServerStream): void {
    this.#streams.delete(stream.id);
    this.#blocked.delete(stream);
    if (this.#dataStream === stream) this.#dataStream = undefined;
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    if (this.#closing && this.#streams.size === 0) {
      this.#flush();
      this.#socket.end();
    }
  }

  /** A connection error: GOAWAY with its code, and the connection ends. */
  #fail(err: Http2Error): void {
    this.#opts.log?.debug({ err: err.message, h2code: err.h2code }, 'sink: HTTP/2 protocol error; closing the connection');
    this.#failed = true;
    this.#reader.stop();
    this.#emit(goawayFrame(this.#lastStream, err.h2code, err.message));
    this.#flush();
    this.#socket.end();
  }

  /**
   * The server's SETTINGS, sent once the client's preface has arrived (RFC 9113 §3.4
   * allows it), so that a client speaking HTTP/1.1 gets an answer it can read.
   */
  #sendPreface(): void {
    const opts = this.#opts;
    this.#emit(settingsFrame([
      [SETTING.MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams],
      [SETTING.INITIAL_WINDOW_SIZE, opts.streamWindow],
      [SETTING.MAX_HEADER_LIST_SIZE, opts.maxHeaderBlock],
      [SETTING.ENABLE_PUSH, 0],
    ]));
    // The connection window starts at 64 KiB whatever SETTINGS say; only a WINDOW_UPDATE widens it.
    if (opts.connectionWindow > DEFAULT_WINDOW) this.#emit(windowUpdateFrame(0, opts.connectionWindow - DEFAULT_WINDOW));
  }

  #notHttp2(): void {
    this.#failed = true;
    this.#socket.end(`HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: text/plain\r\ncontent-length: ${NOT_HTTP2.length}\r\nconnection: close\r\n\r\n${NOT_HTTP2}`);
  }

  #onClose(): void {
    for (const stream of this.#streams.values()) stream.reset = true;
    this.#streams.clear();
    this.#blocked.clear();
    this.#out = [];
  }

  #emit(out: Buffer): void {
    this.#out.push(out);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    process.nextTick(() => this.#flush());
  }

  /** Writes what is queued in one go: answers and window updates of one read leave together. */
  #flush(): void {
    this.#flushQueued = false;
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    if (this.#socket.destroyed || !this.#socket.writable) return;
    this.#socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}
