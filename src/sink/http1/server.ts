import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { closeServer } from '../../close-server.js';
import type { Logger } from '../../log.js';
import { Http1Connection, type RequestHandler } from './connection.js';

export interface Http1Server {
  /** Not yet listening: the caller listens, so a listen error is reported its way. */
  server: Server;
  /** Ends idle connections now, the others after their answer; forces those still open after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** A cleartext or TLS (ALPN `http/1.1`) HTTP/1.1 server whose connections are Http1Connections. */
/** `idleTimeoutMs`: how long a connection may wait for its next request (default IDLE_TIMEOUT_MS). */
export function createHttp1Server(opts: { onRequest: RequestHandler; tls?: TlsOptions; log?: Logger; idleTimeoutMs?: number }): Http1Server {
  const connections = new Set<Http1Connection>();
  const accept = (socket: Socket): void => {
    const connection = new Http1Connection(socket, opts.onRequest, opts);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  };
  const server = opts.tls ? createTlsServer({ ...opts.tls, ALPNProtocols: ['http/1.1'] }, accept) : createServer(accept);
  return {
    server,
    close: (graceMs = 1000) => closeServer(server, connections, graceMs),
  };
}
