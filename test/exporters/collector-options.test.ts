/**
 * Exporters built from config text the way a worker gets them (parse → resolve → create),
 * against real servers on 127.0.0.1: the OTEL_EXPORTER_OTLP_* variables and the Collector
 * options reach the wire.
 */
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, resolvePipelines } from '../../src/config/load.js';
import type { Exporter } from '../../src/exporters/exporter.js';
import { createExporter } from '../../src/exporters/index.js';
import type { Signal } from '../../src/otlp/signals.js';
import { createTestCerts, type TestCerts } from '../helpers/certs.js';
import { DEMO, tempDir } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { FakeGrpcEndpoint, FakeHttpEndpoint, memoryLogger, traceRequest } from './fake-endpoint.js';

const startSink = sinksClosedAfterEach();
const dir = tempDir();
let certs: TestCerts;
beforeAll(() => {
  certs = createTestCerts();
});
afterAll(() => certs.cleanup());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const NO_RETRY = { enabled: false };

/** The exporter a `signal` pipeline's worker would create from exporter block `block` (id `id`), with `env` as the environment. */
function exporterFrom(id: string, block: object, env: Record<string, string> = {}, signal: Signal = 'traces'): Exporter {
  const cfg = parseConfig(JSON.stringify({
    receivers: { template: { [signal]: DEMO[signal] } },
    exporters: { [id]: block },
    service: { pipelines: { [signal]: { receivers: ['template'], exporters: [id] } } },
  }), join(dir, 'c.yaml'), env);
  const exporter = createExporter(resolvePipelines(cfg)[0]!.exporters[0]!, memoryLogger().log);
  cleanups.push(() => exporter.close());
  return exporter;
}

async function fakeGrpc(): Promise<FakeGrpcEndpoint> {
  const ep = await FakeGrpcEndpoint.start();
  cleanups.push(() => ep.close());
  return ep;
}

async function fakeHttp(): Promise<FakeHttpEndpoint> {
  const ep = await FakeHttpEndpoint.start();
  cleanups.push(() => ep.close());
  return ep;
}

describe('OTEL_EXPORTER_OTLP_* on the wire', () => {
  const headers = 'authorization=Bearer%20t0ken,x-scope-orgid=tenant%2C1';

  it('gRPC: the endpoint, plaintext from its http:// scheme, and the headers as metadata', async () => {
    const ep = await fakeGrpc();
    const exp = exporterFrom('otlp', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${ep.target}`, OTEL_EXPORTER_OTLP_HEADERS: headers });
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'sent' });
    expect(ep.received[0]!.headers).toMatchObject({ authorization: 'Bearer t0ken', 'x-scope-orgid': 'tenant,1' });
  });

  it('HTTP: the generic endpoint gets /v1/<signal>; the per-signal one is used as it is; compression and protocol apply', async () => {
    const ep = await fakeHttp();
    const generic = exporterFrom('otlphttp', {}, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `${ep.url}/base/`, OTEL_EXPORTER_OTLP_HEADERS: headers,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(await generic.export('traces', Buffer.from('{}'))).toMatchObject({ status: 'sent' });
    expect(ep.received[0]).toMatchObject({ path: '/base/v1/traces' });
    expect(ep.received[0]!.headers).toMatchObject({
      authorization: 'Bearer t0ken', 'x-scope-orgid': 'tenant,1', 'content-encoding': 'gzip', 'content-type': 'application/json',
    });
    const perSignal = exporterFrom('otlphttp', {}, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `${ep.url}/base`, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${ep.url}/custom/logs`,
    }, 'logs');
    expect(await perSignal.export('logs', Buffer.alloc(0))).toMatchObject({ status: 'sent' });
    expect(ep.received[1]).toMatchObject({ path: '/custom/logs' });
  });

  it('the block\'s own headers win by name over the variables', async () => {
    const ep = await fakeGrpc();
    const exp = exporterFrom('otlp', { headers: { Authorization: 'Bearer from-config' } }, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${ep.target}`, OTEL_EXPORTER_OTLP_HEADERS: headers, OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-scope-orgid=traces',
    });
    await exp.export('traces', traceRequest());
    expect(ep.received[0]!.headers).toMatchObject({ authorization: 'Bearer from-config', 'x-scope-orgid': 'traces' });
  });

  it.each(['grpc', 'http'] as const)('%s: OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY make mutual TLS with the sink', async (kind) => {
    const sink = await startSink({ [kind]: '127.0.0.1:0', tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile } });
    const port = (kind === 'grpc' ? sink.grpcAddress : sink.httpAddress)!.split(':')[1];
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `https://localhost:${port}`, OTEL_EXPORTER_OTLP_CERTIFICATE: certs.caFile };
    const mtls = { ...env, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCertFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKeyFile };
    const id = kind === 'grpc' ? 'otlp' : 'otlphttp';
    expect(await exporterFrom(id, { retry_on_failure: NO_RETRY }, mtls).export('traces', traceRequest(4))).toMatchObject({ status: 'sent' });
    expect(await exporterFrom(id, { retry_on_failure: NO_RETRY }, env).export('traces', traceRequest(4))).toMatchObject({ status: 'failed' });
    expect(sink.counts().traces).toMatchObject({ requests: 1, events: 4 });
  });
});

describe('Collector options on the wire', () => {
  it('dns:///host:port connects through grpc-js\'s DNS resolver', async () => {
    const sink = await startSink({ grpc: '127.0.0.1:0' });
    const exp = exporterFrom('otlp', { endpoint: `dns:///localhost:${sink.grpcAddress!.split(':')[1]}`, tls: { insecure: true } });
    expect(await exp.export('traces', traceRequest(3))).toMatchObject({ status: 'sent' });
    expect(sink.counts().traces).toMatchObject({ requests: 1, events: 3 });
  });

  it.each(['grpc', 'http'] as const)('%s: inline ca_pem, cert_pem and key_pem make mutual TLS with the sink', async (kind) => {
    const sink = await startSink({ [kind]: '127.0.0.1:0', tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile } });
    const address = (kind === 'grpc' ? sink.grpcAddress : sink.httpAddress)!.replace('127.0.0.1', 'localhost');
    const block = (tls: object) => ({ endpoint: kind === 'grpc' ? address : `https://${address}`, tls, retry_on_failure: NO_RETRY });
    const { ca, clientCert, clientKey } = certs.pem;
    const id = kind === 'grpc' ? 'otlp' : 'otlphttp';
    const full = { ca_pem: ca.toString(), cert_pem: clientCert.toString(), key_pem: clientKey.toString(), min_version: '1.3' };
    expect(await exporterFrom(id, block(full)).export('traces', traceRequest(2))).toMatchObject({ status: 'sent' });
    expect(await exporterFrom(id, block({ ca_pem: ca.toString() })).export('traces', traceRequest(2))).toMatchObject({ status: 'failed' });
    expect(sink.counts().traces).toMatchObject({ requests: 1, events: 2 });
  });

  it('min_version: a server that stops at TLS 1.2 is refused with 1.3 and accepted with 1.2', async () => {
    const server = createHttpsServer({ cert: certs.pem.serverCert, key: certs.pem.serverKey, maxVersion: 'TLSv1.2' }, (req, res) => {
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const endpoint = `https://localhost:${(server.address() as AddressInfo).port}`;
    const block = (min: string) => ({ endpoint, tls: { ca_pem: certs.pem.ca.toString(), min_version: min }, retry_on_failure: NO_RETRY });
    expect(await exporterFrom('otlphttp', block('1.2')).export('traces', traceRequest())).toMatchObject({ status: 'sent' });
    const refused = await exporterFrom('otlphttp', block('1.3')).export('traces', traceRequest());
    expect(refused).toMatchObject({ status: 'failed' });
    expect(refused.message).toMatch(/protocol version|alert/i);
  });

  it('keepalive: time, timeout and permit_without_stream reach grpc-js, which pings at that interval', async () => {
    // A bare HTTP/2 server that answers every call OK and counts the PING frames it gets.
    const pings: number[] = [];
    const sessions: ServerHttp2Session[] = [];
    const server: Http2Server = createHttp2Server();
    server.on('session', (s) => {
      sessions.push(s);
      s.on('ping', () => pings.push(performance.now()));
    });
    server.on('stream', (stream) => {
      stream.resume().on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(5));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const s of sessions) s.destroy(); server.close(() => r()); }));
    const exp = exporterFrom('otlp', {
      endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, tls: { insecure: true },
      keepalive: { time: '100ms', timeout: '5s', permit_without_stream: true }, balancer_name: 'round_robin',
    });
    expect(await exp.export('traces', traceRequest())).toMatchObject({ status: 'sent' });
    // Idle now: only permit_without_stream lets grpc-js keep pinging.
    const idleFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    expect(pings.filter((t) => t > idleFrom).length).toBeGreaterThanOrEqual(3);
  });
});
