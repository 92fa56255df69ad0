import { BadRequestError } from '../../errors.js';

/**
 * A `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) read as it arrives: chunk
 * data is handed on where it lies, sizes, extensions and trailers are skipped.
 */

const MAX_LINE = 4096;
type State = 'size' | 'data' | 'data-crlf' | 'trailer';

export class ChunkedBody {
  #state: State = 'size';
  /** The size or trailer line read so far (it may be cut by a read's end). */
  #line = '';
  #left = 0;

  constructor(private readonly onData: (chunk: Buffer) => void) {}

  /**
   * Reads from `buf` at `at`; returns where the body ended (the next request starts
   * there), or -1 when all of `buf` belonged to it. Throws a BadRequestError naming what is malformed.
   */
  push(buf: Buffer, at: number): number {
    while (at < buf.length) {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, buf.length - at);
        this.onData(at === 0 && n === buf.length ? buf : buf.subarray(at, at + n));
        at += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = 'data-crlf';
        continue;
      }
      const eol = buf.indexOf(10, at);
      const end = eol < 0 ? buf.length : eol + 1;
      this.#line += buf.toString('latin1', at, end);
      at = end;
      if (this.#line.length > MAX_LINE) throw new BadRequestError(`chunked body: a line over ${MAX_LINE} bytes`);
      if (eol < 0) return -1;
      const line = this.#line.replace(/\r?\n$/, '');
      this.#line = '';
      if (this.#state === 'data-crlf') {
        if (line !== '') throw new BadRequestError('chunked body: chunk data longer than its size');
        this.#state = 'size';
      } else if (this.#state === 'size') {
        const m = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line);
        if (!m) throw new BadRequestError(`chunked body: bad chunk size line "${line.slice(0, 40)}"`);
        this.#left = parseInt(m[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        return at; // the empty line after the last chunk's trailers
      }
    }
    return -1;
  }
}
