import { STATUS_CODES } from 'node:http';

/** What a request and its response need from their connection. */
export interface ExchangeOwner {
  /** Writes the response; `close`: the connection ends once the request's body has been read. */
  respond(head: string, body: Buffer, close: boolean): void;
}

/**
 * One request read by the sink's HTTP/1.1 server. The body comes through `onData` (views
 * of the socket's reads, which Node allocates afresh for every read, so they may be kept)
 * and `onEnd`; `onAbort` when the client goes away first. The handler sets these while
 * it is called. Header names are lower case; a repeated
 * header's values are joined with ", ".
 */
export class Http1Request {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  onAbort: (() => void) | undefined;
  /** The client closed the connection before the whole body arrived. */
  aborted = false;
  ended = false;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Readonly<Record<string, string>>,
    /** Content-Length, or undefined for a chunked body. */
    readonly contentLength: number | undefined,
  ) {}
}

/** The answer to one Http1Request: one call to `send`, whole, with its Content-Length. */
export class Http1Response {
  #sent = false;
  /** The connection closed before the answer was written. */
  clientGone = false;
  readonly #owner: ExchangeOwner;
  /** From the request: HTTP/1.0 without keep-alive, or `Connection: close`. */
  readonly #closeAfter: boolean;

  constructor(owner: ExchangeOwner, closeAfter: boolean) {
    this.#owner = owner;
    this.#closeAfter = closeAfter;
  }

  get headersSent(): boolean {
    return this.#sent;
  }

  /** Writes status, headers and body; `close` asks the client to open a new connection for its next request. */
  send(status: number, headers: Readonly<Record<string, string | number>>, body: Buffer, close = false): void {
    if (this.#sent || this.clientGone) return;
    this.#sent = true;
    const ends = close || this.#closeAfter;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    head += `content-length: ${body.length}\r\n${ends ? 'connection: close\r\n' : ''}\r\n`;
    this.#owner.respond(head, body, ends);
  }
}
