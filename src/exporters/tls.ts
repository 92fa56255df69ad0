import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsConfig } from './tls-config.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { Logger } from '../log.js';

/** PEM material read once at construction (files are not re-read per connection). */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads and parses ca / cert / key, from files or inline PEM; a missing, unreadable or
 * malformed one is a config error naming its key (grpc-js and OpenSSL would only say
 * "bad base64 decode", at the first connection).
 */
export function readTlsMaterial(tls: TlsConfig, exporterId: string): TlsMaterial {
  const { material, problems } = loadTls(tls, exporterId);
  if (problems.length > 0) throw new ConfigError(problems);
  return material;
}

/** Every problem with an exporter's TLS material, as `validate` and the daemon's start check them. */
export function tlsProblems(tls: TlsConfig, exporterId: string): ConfigProblem[] {
  return loadTls(tls, exporterId).problems;
}

function loadTls(tls: TlsConfig, exporterId: string): { material: TlsMaterial; problems: ConfigProblem[] } {
  const base = `exporters.${exporterId}.tls`;
  const problems: ConfigProblem[] = [];
  if ((tls.certFile === undefined && tls.certPem === undefined) !== (tls.keyFile === undefined && tls.keyPem === undefined)) {
    problems.push({ path: base, message: 'a client certificate and its key must be set together (mTLS)' });
  }
  /** `what` names the material in messages: the file, or the key of inline PEM (never its text). */
  const read = (file: string | undefined, pem: string | undefined, what: string, check: (pem: Buffer) => string | undefined): Buffer | undefined => {
    if (file === undefined && pem === undefined) return undefined;
    const key = file === undefined ? `${what}_pem` : `${what}_file`;
    let bytes: Buffer;
    if (file === undefined) {
      bytes = Buffer.from(pem!);
    } else {
      try {
        bytes = readFileSync(file);
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        problems.push({ path: `${base}.${key}`, message: `cannot read ${file} (${why})` });
        return undefined;
      }
    }
    const bad = check(bytes);
    if (bad === undefined) return bytes;
    problems.push({ path: `${base}.${key}`, message: file === undefined ? bad : `${file} ${bad}` });
    return undefined;
  };
  const material: TlsMaterial = {
    ca: read(tls.caFile, tls.caPem, 'ca', certificateProblem),
    cert: read(tls.certFile, tls.certPem, 'cert', certificateProblem),
    key: read(tls.keyFile, tls.keyPem, 'key', keyProblem),
  };
  if (material.cert && material.key) {
    try {
      createSecureContext({ cert: material.cert, key: material.key });
    } catch (err) {
      const key = tls.keyFile ?? 'key_pem';
      const cert = tls.certFile ?? 'cert_pem';
      problems.push({ path: `${base}.${tls.keyFile ? 'key_file' : 'key_pem'}`, message: `${key} does not fit the certificate in ${cert} (${opensslReason(err)})` });
    }
  }
  return { material, problems };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why `pem` is not one or more PEM certificates, or undefined. Text between the blocks (bundle comments) is fine. */
function certificateProblem(pem: Buffer): string | undefined {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE);
  if (!blocks) return 'holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block)';
  for (let i = 0; i < blocks.length; i++) {
    try {
      new X509Certificate(blocks[i]!);
    } catch (err) {
      return `holds a malformed certificate${blocks.length > 1 ? `, the ${ordinal(i + 1)} one` : ''} (${opensslReason(err)})`;
    }
  }
  return undefined;
}

function keyProblem(pem: Buffer): string | undefined {
  if (!pem.includes('-----BEGIN ')) return 'holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)';
  try {
    createPrivateKey(pem);
    return undefined;
  } catch (err) {
    if (/passphrase|interrupted or cancelled/i.test((err as Error).message)) return 'holds an encrypted private key; keys with a passphrase are not supported';
    return `holds a malformed or unsupported private key (${opensslReason(err)})`;
  }
}

/** OpenSSL's reason without its numeric prefix: "error:04800064:PEM routines::bad base64 decode" → "bad base64 decode". */
function opensslReason(err: unknown): string {
  return (err as Error).message.replace(/^error:[0-9A-Fa-f]+:[^:]*:[^:]*:/, '');
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}

const SKIP_WARNING =
  'tls.insecure_skip_verify is set: the server certificate (chain and host name) is not verified; use only against test endpoints';

/** Accepts any host name: used only with insecure_skip_verify. */
function acceptAnyIdentity(_host: string, _cert: PeerCertificate): Error | undefined {
  return undefined;
}

/**
 * grpc-js channel credentials. `insecure` → plaintext h2c. Otherwise TLS with the
 * system roots or the configured CA, a client cert for mTLS, and min_version, through
 * our own secure context. insecure_skip_verify sets rejectUnauthorized false (grpc-js
 * passes it to tls.connect, so an untrusted chain is accepted) and a checkServerIdentity
 * that accepts any name.
 */
export function grpcCredentials(tls: TlsConfig, exporterId: string, log: Logger): grpc.ChannelCredentials {
  if (tls.insecure) return grpc.credentials.createInsecure();
  const m = readTlsMaterial(tls, exporterId);
  const context = createSecureContext({ ca: m.ca, cert: m.cert, key: m.key, minVersion: tls.minVersion });
  if (!tls.insecureSkipVerify) return grpc.credentials.createFromSecureContext(context);
  log.warn({ exporter: exporterId }, SKIP_WARNING);
  return grpc.credentials.createFromSecureContext(context, { rejectUnauthorized: false, checkServerIdentity: acceptAnyIdentity });
}

type HttpConnectOptions = TlsMaterial & { rejectUnauthorized?: boolean; servername?: string; minVersion?: TlsConfig['minVersion'] };

/** undici `connect` options for an https endpoint (plain http endpoints need none: the caller skips this). */
export function httpConnectOptions(tls: TlsConfig, exporterId: string, log: Logger): HttpConnectOptions {
  const opts: HttpConnectOptions = readTlsMaterial(tls, exporterId);
  if (tls.serverNameOverride) opts.servername = tls.serverNameOverride;
  if (tls.minVersion) opts.minVersion = tls.minVersion;
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
