import type { Socket } from 'node:net';
import { BadRequestError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ChunkedBody } from './chunked-body.js';
import { Http1Request, Http1Response, type ExchangeOwner } from './exchange.js';

/**
 * One HTTP/1.1 connection to the sink (RFC 9112), requests one at a time. node:http
 * copied every body chunk out of its socket reads and emitted it through a stream; here
 * a body is handed to its request in the socket's own buffers, which lets a counting sink
 * walk it without a copy. A request's body is always read to its end, answered early or
 * not, so the next request on the connection starts where it should; bytes of a next
 * (pipelined) request wait until the current one is answered.
 */

export type RequestHandler = (req: Http1Request, res: Http1Response) => void;

const MAX_HEAD = 64 * 1024;
/**
 * How long a connection may wait for its next request. Exporters keep connections open
 * between requests; a short idle timeout would race them. A request in progress has none:
 * an answer may wait out the sink's `--delay`.
 */
export const IDLE_TIMEOUT_MS = 65_000;
/** Held bytes of pipelined requests past which the socket stops being read. */
const MAX_HELD = 1024 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const NO_BYTES = Buffer.alloc(0);

export class Http1Connection implements ExchangeOwner {
  readonly #socket: Socket;
  readonly #onRequest: RequestHandler;
  readonly #log: Logger | undefined;
  readonly #idleTimeoutMs: number;
  /** A request head not yet complete. */
  #head: Buffer = NO_BYTES;
  #req: Http1Request | undefined;
  #res: Http1Response | undefined;
  #bodyLeft = 0;
  #chunked: ChunkedBody | undefined;
  #closeAfter = false;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #closing = false;
  #done = false;

  constructor(socket: Socket, onRequest: RequestHandler, opts: { log?: Logger; idleTimeoutMs?: number } = {}) {
    this.#socket = socket;
    this.#onRequest = onRequest;
    this.#log = opts.log;
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    socket.setNoDelay(true);
    socket.setTimeout(this.#idleTimeoutMs);
    socket.on('timeout', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => opts.log?.debug({ err: err.message }, 'sink: HTTP connection error'));
    socket.on('close', () => this.#onClose());
  }

  /** Ends the connection now if it is between requests, or after the answer in progress. */
  close(): void {
    this.#closing = true;
    if (!this.#req) this.#end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  respond(head: string, body: Buffer, close: boolean): void {
    this.#closeAfter = close;
    if (!this.#socket.writable) return;
    this.#socket.write(body.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'));
    if (this.#req?.ended) this.#next();
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    if (this.#req?.ended) return this.#hold(chunk);
    try {
      this.#parse(chunk);
    } catch (err) {
      // Only the parser's own errors become answers; a handler's would be a bug of ours.
      if (!(err instanceof BadRequestError)) throw err;
      this.#refuse(err.httpStatus, err.message);
    }
  }

  #parse(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.#done) {
      if (!this.#req) {
        at = this.#readHead(chunk, at);
        if (at < 0) return;
      } else if (!this.#req.ended) {
        at = this.#readBody(chunk, at);
        if (at < 0) return;
      } else {
        return this.#hold(at === 0 ? chunk : chunk.subarray(at));
      }
    }
  }

  /** Returns where the head ended in `chunk` (the request has started), or -1 when it needs more bytes. */
  #readHead(chunk: Buffer, at: number): number {
    const before = this.#head.length;
    // Empty lines before a request line are ignored (RFC 9112 §2.2): some clients send CRLF after a body.
    if (before === 0) {
      while (at < chunk.length && (chunk[at] === 13 || chunk[at] === 10)) at++;
      if (at === chunk.length) return -1;
    }
    const buf = before === 0 ? chunk.subarray(at) : Buffer.concat([this.#head, chunk.subarray(at)]);
    const end = buf.indexOf('\r\n\r\n', Math.max(0, before - 3));
    if (end < 0) {
      if (buf.length > MAX_HEAD) throw headTooLarge();
      this.#head = buf;
      return -1;
    }
    if (end > MAX_HEAD) throw headTooLarge();
    this.#head = NO_BYTES;
    this.#start(buf.toString('latin1', 0, end));
    return at + end + 4 - before;
  }

  #start(head: string): void {
    const lines = head.split('\r\n');
    const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0]!);
    if (!m) throw new BadRequestError(`bad request line "${lines[0]!.slice(0, 80)}"`);
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (colon <= 0 || !TOKEN.test(name)) throw new BadRequestError(`bad header line "${line.slice(0, 80)}"`);
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined && cl !== undefined) throw new BadRequestError('both Transfer-Encoding and Content-Length');
    if (te !== undefined && !/(^|,)\s*chunked$/i.test(te)) throw new BadRequestError(`unsupported Transfer-Encoding "${te}"`);
    if (cl !== undefined && !/^\d{1,15}$/.test(cl)) throw new BadRequestError(`bad Content-Length "${cl}"`);
    const connection = (headers.connection ?? '').toLowerCase();
    const keepAlive = m[3] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const expect = headers.expect?.toLowerCase();
    if (expect !== undefined && expect !== '100-continue') throw new BadRequestError(`unsupported Expect "${headers.expect}"`);
    // What node:http does when nobody asks: a client that waits for it sends its body now.
    if (expect === '100-continue') this.#socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.#socket.setTimeout(0);
    const req = new Http1Request(m[1]!, m[2]!, headers, te === undefined ? Number(cl ?? 0) : undefined);
    this.#req = req;
    this.#res = new Http1Response(this, !keepAlive);
    this.#bodyLeft = req.contentLength ?? 0;
    this.#chunked = te === undefined ? undefined : new ChunkedBody((c) => req.onData?.(c));
    this.#onRequest(req, this.#res);
    if (req.contentLength === 0) this.#bodyEnd();
  }

  /** Returns where the body ended in `chunk`, or -1 when all of it was body. */
  #readBody(chunk: Buffer, at: number): number {
    const req = this.#req!;
    if (this.#chunked) {
      const end = this.#chunked.push(chunk, at);
      if (end >= 0) this.#bodyEnd();
      return end;
    }
    const n = Math.min(this.#bodyLeft, chunk.length - at);
    req.onData?.(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
    this.#bodyLeft -= n;
    if (this.#bodyLeft > 0) return -1;
    this.#bodyEnd();
    return at + n;
  }

  #bodyEnd(): void {
    const req = this.#req!;
    const res = this.#res!;
    req.ended = true;
    req.onEnd?.();
    // Answered before its body ended: on to the next request now. (An answer sent by onEnd itself moved on already.)
    if (this.#req === req && res.headersSent) this.#next();
  }

  /** The request is read and answered: on to the next one, if the connection stays. */
  #next(): void {
    this.#req = undefined;
    this.#res = undefined;
    if (this.#closeAfter || this.#closing) return this.#end();
    this.#socket.setTimeout(this.#idleTimeoutMs);
    if (this.#held.length === 0) return;
    const held = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held);
    this.#held = [];
    this.#heldBytes = 0;
    this.#socket.resume();
    this.#onData(held);
  }

  #hold(bytes: Buffer): void {
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > MAX_HELD) this.#socket.pause();
  }

  /** A request the sink cannot read: a plain-text answer, and the connection ends. */
  #refuse(status: number, why: string): void {
    this.#log?.debug({ status, err: why }, 'sink: refused a malformed HTTP request');
    const text = `${why}\n`;
    if (this.#socket.writable && !this.#res?.headersSent) {
      this.#socket.write(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    }
    this.#end();
  }

  #end(): void {
    this.#done = true;
    this.#socket.end();
  }

  #onClose(): void {
    this.#done = true;
    const req = this.#req;
    if (this.#res && !this.#res.headersSent) this.#res.clientGone = true;
    if (req && !req.ended) {
      req.aborted = true;
      req.onAbort?.();
    }
  }
}

function headTooLarge(): BadRequestError {
  return new BadRequestError(`request head over ${MAX_HEAD} bytes`, undefined, 431);
}
