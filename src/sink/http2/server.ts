import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { closeServer } from '../../close-server.js';
import { Http2Session, type SessionOptions } from './session.js';

export interface Http2Server {
  /** Not yet listening: the caller listens, so a listen error is reported its way. */
  server: Server;
  /** GOAWAY on every connection; resolves once all are closed, forcing those still open after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** A cleartext (prior knowledge) or TLS (ALPN `h2`) HTTP/2 server whose connections are Http2Sessions. */
export function createHttp2Server(opts: SessionOptions & { tls?: TlsOptions }): Http2Server {
  const sessions = new Set<Http2Session>();
  const accept = (socket: Socket): void => {
    const session = new Http2Session(socket, opts);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  };
  let server: Server;
  if (opts.tls) {
    server = createTlsServer({ ...opts.tls, ALPNProtocols: ['h2'] }, (socket: TLSSocket) => {
      // A client that negotiated another protocol would not understand a word.
      if (socket.alpnProtocol !== 'h2' && socket.alpnProtocol !== false) return void socket.destroy();
      accept(socket);
    });
  } else {
    server = createServer(accept);
  }
  return {
    server,
    close: (graceMs = 1000) => closeServer(server, sessions, graceMs),
  };
}
