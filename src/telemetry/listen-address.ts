import { ConfigError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or `:port` (which means loopback, not all interfaces:
 * exposing a port beyond the machine has to be asked for by writing `0.0.0.0`).
 */
export function parseListenAddress(address: string, keyPath: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError([{ path: keyPath, message: `"${address}" is not host:port (e.g. 127.0.0.1:8888 or 0.0.0.0:8888)` }]);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** The form users write back in configs and URLs: brackets around IPv6 hosts. */
export function formatListenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
