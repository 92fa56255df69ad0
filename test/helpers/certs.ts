import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths (and PEM contents) of a throwaway PKI for TLS / mTLS tests. */
export interface TestCerts {
  dir: string;
  /** CA that signed the server and client certs. */
  caFile: string;
  /** Server cert for DNS:localhost, IP:127.0.0.1, IP:::1. */
  serverCertFile: string;
  serverKeyFile: string;
  /** Client cert (extendedKeyUsage clientAuth) for mTLS. */
  clientCertFile: string;
  clientKeyFile: string;
  /** A second, unrelated CA: trusting it instead of `caFile` must fail verification. */
  otherCaFile: string;
  pem: { ca: Buffer; serverCert: Buffer; serverKey: Buffer; clientCert: Buffer; clientKey: Buffer; otherCa: Buffer };
  /** Removes the temp dir. */
  cleanup(): void;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeLeaf(dir: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
  ]);
}

/**
 * Creates a CA, a server cert and a client cert with the `openssl` CLI in a fresh temp
 * dir. P-256 keys keep it under ~0.1 s; call it once per test file (beforeAll).
 */
export function createTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'replayd-certs-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeLeaf(
      dir,
      'server',
      'localhost',
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '',
      ].join('\n'),
    );
    makeLeaf(
      dir,
      'client',
      'otel-replayd-test-client',
      ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth', ''].join('\n'),
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`creating test certificates with openssl failed${stderr ? `: ${stderr}` : ''}`, { cause: err });
  }
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caFile: p('ca.crt'),
    serverCertFile: p('server.crt'),
    serverKeyFile: p('server.key'),
    clientCertFile: p('client.crt'),
    clientKeyFile: p('client.key'),
    otherCaFile: p('other-ca.crt'),
    pem: {
      ca: readFileSync(p('ca.crt')),
      serverCert: readFileSync(p('server.crt')),
      serverKey: readFileSync(p('server.key')),
      clientCert: readFileSync(p('client.crt')),
      clientKey: readFileSync(p('client.key')),
      otherCa: readFileSync(p('other-ca.crt')),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
