/** An exporter's `tls:` block: keys and parsing. The PEM contents are checked before start (tls.ts). */
import { resolve } from 'node:path';
import { Section, isFile, type KeyTable } from '../config/schema.js';
import { TLS_HINTS } from './collector-keys.js';

export interface TlsConfig {
  insecure: boolean;
  /** Absolute paths; each *Pem is the same material given inline (never both). */
  caFile?: string;
  caPem?: string;
  certFile?: string;
  certPem?: string;
  keyFile?: string;
  /** A secret: never logged or printed. */
  keyPem?: string;
  insecureSkipVerify: boolean;
  serverNameOverride?: string;
  /** Lowest TLS version accepted; Node's own default (1.2) when unset. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export const TLS_KEYS: KeyTable = {
  insecure: { doc: 'gRPC: true = plaintext; TLS is used unless this is set. HTTP: the URL scheme decides.', default: false },
  ca_file: { doc: 'PEM file of CAs to trust instead of the system roots.' },
  ca_pem: { doc: 'The same CAs as inline PEM text (instead of ca_file).' },
  cert_file: { doc: 'PEM client certificate for mutual TLS (with key_file or key_pem).' },
  cert_pem: { doc: 'The client certificate as inline PEM text (instead of cert_file).' },
  key_file: { doc: 'PEM client key for mutual TLS (with cert_file or cert_pem).' },
  key_pem: { doc: 'The client key as inline PEM text (instead of key_file); a secret, never printed: use ${env:VAR}.' },
  insecure_skip_verify: { doc: 'Do not verify the server certificate (testing only).', default: false },
  server_name_override: { doc: 'Name to verify the server certificate against (and send as SNI).' },
  min_version: { doc: 'Lowest TLS version to accept: "1.2" or "1.3"; default: Node\'s (1.2).' },
};

const VERSIONS: Readonly<Record<string, TlsConfig['minVersion']>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

const MATERIAL = [
  ['ca', 'caFile', 'caPem'],
  ['cert', 'certFile', 'certPem'],
  ['key', 'keyFile', 'keyPem'],
] as const;

/** Relative file paths resolve against `baseDir` (the config file's folder). */
export function parseTls(s: Section, baseDir: string): TlsConfig {
  const tls: TlsConfig = { insecure: s.bool('insecure'), insecureSkipVerify: s.bool('insecure_skip_verify') };
  for (const [what, fileField, pemField] of MATERIAL) {
    const rel = s.string(`${what}_file`);
    if (rel !== undefined) {
      const file = resolve(baseDir, rel);
      if (!isFile(file)) s.problem(`${what}_file`, `file ${file} does not exist`);
      tls[fileField] = file;
    }
    const pem = s.string(`${what}_pem`);
    if (pem !== undefined) {
      if (rel !== undefined) s.problem(`${what}_pem`, `give ${what}_file or ${what}_pem, not both`);
      else tls[pemField] = pem;
    }
  }
  const cert = s.has('cert_file') || s.has('cert_pem');
  const key = s.has('key_file') || s.has('key_pem');
  if (cert !== key) s.problem(cert ? 'key_file' : 'cert_file', `is required with ${cert ? 'cert_file/cert_pem' : 'key_file/key_pem'} (mutual TLS needs a certificate and its key)`);
  const name = s.string('server_name_override');
  if (name !== undefined) tls.serverNameOverride = name;
  // YAML reads `min_version: 1.2` as a number; string() gives it back as "1.2".
  const version = s.string('min_version');
  if (version !== undefined) {
    const v = VERSIONS[version.trim()];
    if (v) tls.minVersion = v;
    else if (/^1\.[01]$/.test(version.trim())) s.problem('min_version', `TLS ${version.trim()} is not supported (Node refuses versions below 1.2); use "1.2" or "1.3"`);
    else s.problem('min_version', `must be "1.2" or "1.3", got ${JSON.stringify(version)}`);
  }
  return tls;
}

/** The `tls:` section of an exporter block, with hints for the Collector's TLS keys we do not have. */
export function tlsSection(s: Section): Section {
  return s.section('tls', TLS_KEYS, TLS_HINTS);
}
