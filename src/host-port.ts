import type { Server } from 'node:net';

/**
 * `host:port` as users write it for endpoints and listen addresses: `127.0.0.1:4317`,
 * `[::1]:4317`, `localhost:0`. The host may be empty (`:8888`); callers decide what that
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

/** Listens and resolves with the bound port (port 0 picks a free one); rejects with the listen error. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}
