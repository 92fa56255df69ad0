import type { Server } from 'node:net';
import { ListenError, type ErrorCode } from './errors.js';

/**
 * `host:port` as users write it for endpoints and listen addresses: `127.0.0.1:4317`,
 * `[::1]:4317`, `localhost:0`. The host may be empty (`:8890`); callers decide what that
 * means, and check the port's range (up to 99999 parses, so messages can say which part
 * is wrong). Returns undefined when the shape is wrong.
 */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  return m ? { host: (m[1] ?? m[2])!, port: Number(m[3]) } : undefined;
}

/** The form users write back in configs and URLs: brackets around IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Why a listen failed, in words a user acts on; Node's own message adds only the errno name. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
};

/**
 * Listens and resolves with the bound port (port 0 picks a free one). A failure rejects
 * with a ListenError that names `as.setting`, the key or flag the address came from.
 */
export function listen(server: Server, host: string, port: number, as: { code: ErrorCode; setting: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      const reason = LISTEN_FAILURES[err.code ?? ''] ?? err.code ?? err.message;
      reject(new ListenError(as.code, as.setting, formatHostPort(host, port), reason, { cause: err }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as { port: number }).port);
    });
  });
}
