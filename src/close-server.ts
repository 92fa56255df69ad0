import type { Server } from 'node:net';

/** A connection a server can ask to finish (after its answers in progress) or end at once. */
export interface Closable {
  close(): void;
  destroy(): void;
}

/**
 * Stops listening and asks every connection to close; resolves once all have, destroying
 * those still open after `graceMs` (a client that keeps its request open forever).
 */
export function closeServer(server: Server, connections: ReadonlySet<Closable>, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      for (const c of connections) c.destroy();
    }, graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    for (const c of connections) c.close();
  });
}
