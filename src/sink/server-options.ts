import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { parseHostPort } from '../host-port.js';
import type { Logger } from '../log.js';

/** What both sink transports read before they listen: the address and the TLS files. */

export interface SinkTlsOptions {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCaFile?: string;
}

/** What the sink hands each transport's server. */
export interface ServerOptions {
  tls?: SinkTlsOptions;
  log?: Logger;
  /** Where the address came from (a config key or a flag): a listen error names it. */
  setting: string;
}

/** Splits `host:port` / `[::1]:port`; the port must be a number (0 picks a free one). */
export function splitHostPort(address: string): { host: string; port: number } {
  const hp = parseHostPort(address);
  if (!hp || hp.host === '' || hp.port > 65535) throw new UsageError(`expected host:port, got "${address}"`);
  return hp;
}

/** Server options for the sink's TLS servers (node:tls); a client CA turns on mTLS. */
export async function readServerTls(tls: SinkTlsOptions): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean }> {
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile), readFile(tls.keyFile), tls.clientCaFile ? readFile(tls.clientCaFile) : undefined,
  ]);
  return { cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
}
