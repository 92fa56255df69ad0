import { ConfigError } from '../errors.js';
import { parseHostPort } from '../host-port.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or `:port` (which means loopback, not all interfaces:
 * exposing a port beyond the machine has to be asked for by writing `0.0.0.0`).
 */
export function parseListenAddress(address: string, keyPath: string): ListenAddress {
  const hp = parseHostPort(address);
  if (!hp || hp.port > 65535 || /\s/.test(hp.host)) {
    throw new ConfigError([{ path: keyPath, message: `"${address}" is not host:port (e.g. 127.0.0.1:8888 or 0.0.0.0:8888)` }]);
  }
  return { host: hp.host || '127.0.0.1', port: hp.port };
}
