import { credentials, status } from '@grpc/grpc-js';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../../src/sink/index.js';
import { createTestCerts, type TestCerts } from '../helpers/certs.js';
import { encode, grpcClient, grpcExport, logsRequest } from './fixtures.js';

let certs: TestCerts;
let sink: Sink | undefined;
const closers: (() => unknown)[] = [];

beforeAll(() => {
  certs = createTestCerts();
});
afterAll(() => certs.cleanup());
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await sink?.close();
  sink = undefined;
});

const body = () => encode('logs', logsRequest(5));

async function httpsPost(agent: Agent): Promise<number> {
  closers.push(() => agent.close());
  const res = await request(`https://localhost:${sink!.httpAddress!.split(':')[1]}/v1/logs`, {
    method: 'POST', body: body(), headers: { 'content-type': 'application/x-protobuf' }, dispatcher: agent,
  });
  await res.body.dump();
  return res.statusCode;
}

function grpcTls(opts: { ca: Buffer; key?: Buffer; cert?: Buffer }) {
  const c = grpcClient(sink!.grpcAddress!.replace('127.0.0.1', 'localhost'), { creds: credentials.createSsl(opts.ca, opts.key ?? null, opts.cert ?? null) });
  closers.push(() => c.close());
  return c;
}

describe('sink TLS', () => {
  it('serves gRPC and HTTP over TLS to clients trusting the CA, and only to them', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
    expect(await grpcExport(grpcTls({ ca: certs.pem.ca }), 'logs', body())).toBeUndefined();
    expect(await httpsPost(new Agent({ connect: { ca: certs.pem.ca } }))).toBe(200);
    expect((await grpcExport(grpcTls({ ca: certs.pem.otherCa }), 'logs', body()))?.code).toBe(status.UNAVAILABLE);
    await expect(httpsPost(new Agent({ connect: { ca: certs.pem.otherCa } }))).rejects.toThrow();
    expect(sink.counts().logs).toMatchObject({ requests: 2, events: 10 });
  });

  it('with a client CA, requires client certificates (mTLS)', async () => {
    sink = await startSink({
      grpc: '127.0.0.1:0', http: '127.0.0.1:0',
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile },
    });
    const { ca, clientCert, clientKey } = certs.pem;
    expect(await grpcExport(grpcTls({ ca, cert: clientCert, key: clientKey }), 'logs', body())).toBeUndefined();
    expect(await httpsPost(new Agent({ connect: { ca, cert: clientCert, key: clientKey } }))).toBe(200);
    expect(await grpcExport(grpcTls({ ca }), 'logs', body())).toBeDefined();
    await expect(httpsPost(new Agent({ connect: { ca } }))).rejects.toThrow();
    expect(sink.counts().logs).toMatchObject({ requests: 2, events: 10 });
  });
});
