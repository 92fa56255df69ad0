import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExporter } from '../../src/exporters/index.js';
import { isTlsVerifyFailure, readTlsMaterial, tlsProblems } from '../../src/exporters/tls.js';
import type { Exporter } from '../../src/exporters/exporter.js';
import type { TlsConfig } from '../../src/exporters/exporter-config.js';
import { ConfigError } from '../../src/errors.js';
import { createTestCerts, type TestCerts } from '../helpers/certs.js';
import { FakeGrpcEndpoint, FakeHttpEndpoint, memoryLogger, testExporterConfig, traceRequest } from './fake-endpoint.js';

let certs: TestCerts;
beforeAll(() => {
  certs = createTestCerts();
});
afterAll(() => certs.cleanup());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const noRetry = { enabled: false, initialIntervalMs: 10, maxIntervalMs: 10, maxElapsedTimeMs: 100, multiplier: 1, randomizationFactor: 0 };
const quickRetry = { enabled: true, initialIntervalMs: 20, maxIntervalMs: 20, maxElapsedTimeMs: 2000, multiplier: 1, randomizationFactor: 0 };

type Kind = 'grpc' | 'http';

async function endpoint(kind: Kind, requireClientCert: boolean) {
  const tls = { cert: certs.pem.serverCert, key: certs.pem.serverKey, ca: certs.pem.ca, requireClientCert };
  const ep = kind === 'grpc' ? await FakeGrpcEndpoint.start({ tls }) : await FakeHttpEndpoint.start({ tls });
  cleanups.push(() => ep.close());
  return ep;
}

function exporter(kind: Kind, ep: FakeGrpcEndpoint | FakeHttpEndpoint, tls: Partial<TlsConfig>, host = '127.0.0.1', retry = quickRetry) {
  const { log, lines } = memoryLogger();
  const endpoint = kind === 'grpc' ? `${host}:${ep.port}` : `https://${host}:${ep.port}`;
  const exp: Exporter = createExporter(
    testExporterConfig({
      type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http',
      endpoint,
      tls: { insecure: false, insecureSkipVerify: false, ...tls },
      retryOnFailure: retry,
    }),
    log,
  );
  cleanups.push(() => exp.close());
  return { exp, lines };
}

describe.each(['grpc', 'http'] as const)('TLS over %s', (kind) => {
  it('verifies the server against ca_file and delivers', async () => {
    const ep = await endpoint(kind, false);
    const { exp } = exporter(kind, ep, { caFile: certs.caFile });
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'sent', retries: 0 });
    expect(ep.received).toHaveLength(1);
  });

  it('verifies by host name (localhost) too', async () => {
    const ep = await endpoint(kind, false);
    const { exp } = exporter(kind, ep, { caFile: certs.caFile }, 'localhost');
    expect((await exp.export('traces', traceRequest())).status).toBe('sent');
  });

  it('mTLS: presents cert_file/key_file to a server that requires a client cert', async () => {
    const ep = await endpoint(kind, true);
    const { exp } = exporter(kind, ep, { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    expect((await exp.export('traces', traceRequest())).status).toBe('sent');
    expect(ep.received).toHaveLength(1);
  });

  it('mTLS: without a client cert the request fails and nothing arrives', async () => {
    const ep = await endpoint(kind, true);
    const { exp } = exporter(kind, ep, { caFile: certs.caFile }, '127.0.0.1', noRetry);
    const out = await exp.export('traces', traceRequest());
    expect(out.status).toBe('failed');
    // grpc-js reports the server's TLS alert; undici only sees the socket close after the
    // TLS 1.3 handshake, which it cannot tell apart from a dropped connection (retryable).
    expect(out.code).toBe(kind === 'grpc' ? 'ERR_EXPORT_TLS' : 'ERR_EXPORT_CONNECTION');
    expect(ep.received).toHaveLength(0);
  });

  it('a wrong CA fails permanently (no retries) with a clear message', async () => {
    const ep = await endpoint(kind, false);
    const { exp } = exporter(kind, ep, { caFile: certs.otherCaFile });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_TLS', retries: 0 });
    expect(out.message).toMatch(/TLS verification failed: .*certificate/);
    expect(ep.received).toHaveLength(0);
  });

  it('server_name_override is the name verified (a name the cert lacks fails permanently)', async () => {
    const ep = await endpoint(kind, false);
    const { exp } = exporter(kind, ep, { caFile: certs.caFile, serverNameOverride: 'otel.example.invalid' });
    const out = await exp.export('traces', traceRequest());
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_TLS', retries: 0 });
    expect(out.message).toMatch(/otel\.example\.invalid|altnames/);
    const ok = exporter(kind, ep, { caFile: certs.caFile, serverNameOverride: 'localhost' });
    expect((await ok.exp.export('traces', traceRequest())).status).toBe('sent');
  });

  it('insecure_skip_verify accepts an untrusted server and warns once', async () => {
    const ep = await endpoint(kind, false);
    const { exp, lines } = exporter(kind, ep, { caFile: certs.otherCaFile, insecureSkipVerify: true });
    expect((await exp.export('traces', traceRequest())).status).toBe('sent');
    expect((await exp.export('traces', traceRequest())).status).toBe('sent');
    expect(lines.filter((l) => l.includes('insecure_skip_verify'))).toHaveLength(1);
  });

  it('a plaintext client against a TLS server does not deliver', async () => {
    const ep = await endpoint(kind, false);
    const { log } = memoryLogger();
    const endpointUrl = kind === 'grpc' ? `127.0.0.1:${ep.port}` : `http://127.0.0.1:${ep.port}`;
    const exp = createExporter(
      testExporterConfig({ type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http', endpoint: endpointUrl, retryOnFailure: noRetry }),
      log,
    );
    cleanups.push(() => exp.close());
    expect((await exp.export('traces', traceRequest())).status).toBe('failed');
    expect(ep.received).toHaveLength(0);
  });
});

describe('TLS config', () => {
  it('names the key of an unreadable file', () => {
    const tls: TlsConfig = { insecure: false, insecureSkipVerify: false, caFile: '/nonexistent/ca.pem' };
    expect(() => readTlsMaterial(tls, 'otlp_grpc/a')).toThrow(ConfigError);
    expect(() => readTlsMaterial(tls, 'otlp_grpc/a')).toThrow(/exporters\.otlp_grpc\/a\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/);
  });

  it('parses every file and names the key and file of a malformed one (not "bad base64 decode" at the first connection)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replayd-pem-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string | Buffer) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const problems = (tls: Partial<TlsConfig>) => tlsProblems({ insecure: false, insecureSkipVerify: false, ...tls }, 'otlp/a');
    const cert = certs.pem.clientCert.toString();
    const badBase64 = file('bad.pem', cert.replace(/\n(.)(.)/, '\n$2!'));
    expect(problems({ caFile: badBase64 })).toEqual([{ path: 'exporters.otlp/a.tls.ca_file', message: `${badBase64} holds a malformed certificate (bad base64 decode)` }]);
    const bundle = file('bundle.pem', `# ours\n${certs.pem.ca}\n# theirs\n${cert.replace(/\n(.)(.)/, '\n$2!')}`);
    expect(problems({ caFile: bundle })[0]!.message).toBe(`${bundle} holds a malformed certificate, the 2nd one (bad base64 decode)`);
    expect(problems({ caFile: file('der.crt', Buffer.from([0x30, 0x82, 1, 2])) })[0]!.message).toMatch(/holds no PEM certificate/);
    expect(problems({ caFile: certs.caFile })).toEqual([]);

    const key = certs.pem.clientKey.toString();
    const badKey = file('bad.key', key.replace(/\n(.)(.)/, '\n$2!'));
    expect(problems({ certFile: certs.clientCertFile, keyFile: badKey })).toEqual([
      { path: 'exporters.otlp/a.tls.key_file', message: expect.stringMatching(new RegExp(`^${badKey} holds a malformed or unsupported private key \\(.+\\)$`)) },
    ]);
    expect(problems({ certFile: certs.clientCertFile, keyFile: certs.serverKeyFile })).toEqual([
      { path: 'exporters.otlp/a.tls.key_file', message: `${certs.serverKeyFile} does not fit the certificate in ${certs.clientCertFile} (key values mismatch)` },
    ]);
    // At load, the exporter refuses the same file with the same words.
    expect(() => readTlsMaterial({ insecure: false, insecureSkipVerify: false, caFile: badBase64 }, 'otlp/a')).toThrow(/exporters\.otlp\/a\.tls\.ca_file: .*bad\.pem holds a malformed certificate/);
    expect(() => createExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: '127.0.0.1:1', tls: { insecure: false, insecureSkipVerify: false, caFile: badBase64 } }), memoryLogger().log)).toThrow(ConfigError);
  });

  it('requires a client certificate and its key together', () => {
    expect(() => readTlsMaterial({ insecure: false, insecureSkipVerify: false, certFile: certs.clientCertFile }, 'x')).toThrow(/certificate and its key must be set together/);
  });

  it('classifies certificate failures, not connection failures', () => {
    expect(isTlsVerifyFailure('unable to verify the first certificate')).toBe(true);
    expect(isTlsVerifyFailure('x', 'SELF_SIGNED_CERT_IN_CHAIN')).toBe(true);
    expect(isTlsVerifyFailure('connect ECONNREFUSED 127.0.0.1:4317', 'ECONNREFUSED')).toBe(false);
  });
});
