import { encodeHeaders, type HeaderField } from './hpack.js';
import { FLAG, FRAME, frame } from './frames.js';

/** What a stream needs from its connection to answer. */
export interface StreamOwner {
  /** Sends `out` now, or returns false when the connection's send window cannot take `dataBytes`. */
  trySend(out: Buffer, dataBytes: number): boolean;
  /** The stream cannot send yet: call `stream.flush()` again once a window grows. */
  block(stream: ServerStream): void;
  /** The answer is complete (END_STREAM sent). */
  answered(stream: ServerStream): void;
}

/**
 * One request stream on the sink's HTTP/2 server. The handler reads the request through
 * `onData` (chunks that lie in the socket's read buffers: use or copy them before
 * returning) and `onEnd`, and answers with `respond`, `data` and `trailers`. Frames keep
 * their order: once one waits for the peer's flow-control window, the rest wait behind it.
 */
export class ServerStream {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** Bytes the peer lets us send on this stream (its SETTINGS_INITIAL_WINDOW_SIZE, then WINDOW_UPDATEs). */
  sendWindow: number;
  /** Request bytes received since the last WINDOW_UPDATE the sink sent for this stream. */
  unacked = 0;
  /** The peer sent END_STREAM. */
  remoteEnded = false;
  /** The peer reset the stream, or the connection is gone. */
  reset = false;
  #headersSent = false;
  /** END_STREAM has been queued or sent: nothing more may be written. */
  #finished = false;
  readonly #queue: Array<{ out: Buffer; dataBytes: number; ends: boolean }> = [];
  readonly #owner: StreamOwner;

  constructor(readonly id: number, readonly headers: Readonly<Record<string, string>>, owner: StreamOwner, sendWindow: number) {
    this.#owner = owner;
    this.sendWindow = sendWindow;
  }

  /** True while an answer can still reach the peer. */
  get open(): boolean {
    return !this.reset && !this.#finished;
  }

  get headersSent(): boolean {
    return this.#headersSent;
  }

  /** The response's HEADERS; with `endStream`, the whole answer (a Trailers-Only gRPC status, or an HTTP error). */
  respond(fields: readonly HeaderField[], endStream = false): void {
    if (!this.open || this.#headersSent) return;
    this.#headersSent = true;
    this.#write(frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), this.id, encodeHeaders(fields)), 0, endStream);
  }

  data(payload: Buffer): void {
    if (!this.open || !this.#headersSent) return;
    this.#write(frame(FRAME.DATA, 0, this.id, payload), payload.length, false);
  }

  trailers(fields: readonly HeaderField[]): void {
    if (!this.open || !this.#headersSent) return;
    this.#write(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, this.id, encodeHeaders(fields)), 0, true);
  }

  /** Sends what waited for a window, in order, as far as the windows now allow. */
  flush(): void {
    while (this.#queue.length > 0 && !this.reset) {
      const next = this.#queue[0]!;
      if (next.dataBytes > this.sendWindow || !this.#owner.trySend(next.out, next.dataBytes)) {
        this.#owner.block(this);
        return;
      }
      this.sendWindow -= next.dataBytes;
      this.#queue.shift();
      if (next.ends) this.#owner.answered(this);
    }
  }

  #write(out: Buffer, dataBytes: number, ends: boolean): void {
    if (ends) this.#finished = true;
    this.#queue.push({ out, dataBytes, ends });
    if (this.#queue.length === 1) this.flush();
  }
}
