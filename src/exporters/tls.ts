import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsConfig } from './exporter-config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';

/** PEM material read once at construction (files are not re-read per connection). */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads ca_file / cert_file / key_file; a missing or unreadable file is a config error naming its key. */
export function readTlsMaterial(tls: TlsConfig, exporterId: string): TlsMaterial {
  const base = `exporters.${exporterId}.tls`;
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new ConfigError([{ path: base, message: 'cert_file and key_file must be set together (mTLS)' }]);
  }
  const read = (file: string | undefined, key: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError([{ path: `${base}.${key}`, message: `cannot read ${file} (${why})` }]);
    }
  };
  return { ca: read(tls.caFile, 'ca_file'), cert: read(tls.certFile, 'cert_file'), key: read(tls.keyFile, 'key_file') };
}

const SKIP_WARNING =
  'tls.insecure_skip_verify is set: the server certificate (chain and host name) is not verified; use only against test endpoints';

/** Accepts any host name: used only with insecure_skip_verify. */
function acceptAnyIdentity(_host: string, _cert: PeerCertificate): Error | undefined {
  return undefined;
}

/**
 * grpc-js channel credentials. `insecure` → plaintext h2c. Otherwise TLS with the
 * system roots or ca_file, plus a client cert for mTLS. insecure_skip_verify sets
 * rejectUnauthorized false (grpc-js ≥ 1.10 passes it to tls.connect, so an untrusted
 * chain is accepted) and a checkServerIdentity that accepts any name.
 */
export function grpcCredentials(tls: TlsConfig, exporterId: string, log: Logger): grpc.ChannelCredentials {
  if (tls.insecure) return grpc.credentials.createInsecure();
  const m = readTlsMaterial(tls, exporterId);
  if (!tls.insecureSkipVerify) return grpc.credentials.createSsl(m.ca ?? null, m.key ?? null, m.cert ?? null);
  log.warn({ exporter: exporterId }, SKIP_WARNING);
  return grpc.credentials.createSsl(m.ca ?? null, m.key ?? null, m.cert ?? null, {
    rejectUnauthorized: false,
    checkServerIdentity: acceptAnyIdentity,
  });
}

type HttpConnectOptions = TlsMaterial & { rejectUnauthorized?: boolean; servername?: string };

/** undici `connect` options for an https endpoint (plain http endpoints need none: the caller skips this). */
export function httpConnectOptions(tls: TlsConfig, exporterId: string, log: Logger): HttpConnectOptions {
  const opts: HttpConnectOptions = readTlsMaterial(tls, exporterId);
  if (tls.serverNameOverride) opts.servername = tls.serverNameOverride;
  if (tls.insecureSkipVerify) {
    log.warn({ exporter: exporterId }, SKIP_WARNING);
    opts.rejectUnauthorized = false;
  }
  return opts;
}

/** Node's certificate verification error codes: retrying cannot fix any of them. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
]);

/** The same failures as they appear in text (grpc-js only gives us the message). */
const TLS_VERIFY_TEXT =
  /unable to verify the first certificate|unable to get (local )?issuer certificate|self[- ]signed certificate|certificate has expired|certificate is not yet valid|does not match certificate's altnames|alert (certificate required|bad certificate|unknown ca)/i;

export function isTlsVerifyFailure(text: string, code?: string): boolean {
  return (code !== undefined && TLS_VERIFY_CODES.has(code)) || TLS_VERIFY_TEXT.test(text);
}
