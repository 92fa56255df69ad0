import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { SIGNALS } from '../../src/otlp/signals.js';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';
import { encode, grpcClient, grpcExport, logsRequest, tracesRequest } from './fixtures.js';

/**
 * The gRPC wire protocol as the sink speaks it, checked with a raw HTTP/2 client (for what
 * a well-behaved gRPC client never sends) and with grpc-js (for what real clients do).
 */

let sink: Sink | undefined;
const sessions: ClientHttp2Session[] = [];
const clients: Client[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  for (const c of clients.splice(0)) c.close();
  await sink?.close();
  sink = undefined;
});

async function session(opts: Omit<SinkOptions, 'grpc'> = {}): Promise<ClientHttp2Session> {
  sink = await startSink({ grpc: '127.0.0.1:0', ...opts });
  const s = connect(`http://${sink.grpcAddress}`);
  sessions.push(s);
  await new Promise<void>((resolve, reject) => s.once('remoteSettings', () => resolve()).once('error', reject));
  return s;
}

function framed(message: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

interface Answer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

/** One raw call; `status` comes from the trailers or, for a Trailers-Only answer, the headers. */
function call(s: ClientHttp2Session, body: Buffer, headers: OutgoingHttpHeaders = {}): Promise<Answer & { status?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const req = s.request({
      ':method': 'POST', ':path': SIGNALS.traces.grpcPath, 'content-type': 'application/grpc', te: 'trailers', ...headers,
    });
    const chunks: Buffer[] = [];
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('close', () => {
      const last = { ...head, ...trailers };
      resolve({
        headers: head, trailers, body: Buffer.concat(chunks),
        status: last['grpc-status'] as string | undefined,
        message: last['grpc-message'] === undefined ? undefined : decodeURIComponent(last['grpc-message'] as string),
      });
    });
    req.end(body);
  });
}

describe('gRPC sink wire protocol', () => {
  it('answers success with headers, one empty response message and a grpc-status 0 trailer', async () => {
    const s = await session();
    const body = encode('traces', tracesRequest(2, 3));
    const a = await call(s, framed(body));
    expect(a.headers[':status']).toBe(200);
    expect(a.headers['content-type']).toBe('application/grpc');
    expect(a.headers['grpc-status']).toBeUndefined();
    expect(a.body).toEqual(Buffer.alloc(5));
    expect(a.trailers['grpc-status']).toBe('0');
    expect(sink!.counts().traces).toMatchObject({ requests: 1, events: 6, bytes: body.length });
  });

  it('opens HTTP/2 flow control so a multi-MiB request never waits for a WINDOW_UPDATE', async () => {
    const s = await session();
    expect(s.remoteSettings.initialWindowSize).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    // The connection window only grows by WINDOW_UPDATE, sent once our SETTINGS are acknowledged.
    for (let i = 0; i < 50 && s.state.remoteWindowSize! < 16 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.state.remoteWindowSize).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });

  it('counts many concurrent large calls on one connection exactly, each verified', async () => {
    const s = await session({ verify: true });
    const bodies = Array.from({ length: 12 }, (_, i) => encode('traces', tracesRequest(40 + i, 30)));
    const answers = await Promise.all(bodies.map((b) => call(s, framed(b))));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => '0'));
    const events = bodies.reduce((n, _, i) => n + (40 + i) * 30, 0);
    expect(sink!.counts().traces).toEqual({
      requests: 12, events, bytes: bodies.reduce((n, b) => n + b.length, 0), faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0,
    });
    expect(await sink!.verification()).toMatchObject({ ok: true, checked: { traces: events } });
  });

  it('answers an unknown method UNIMPLEMENTED and counts nothing', async () => {
    const s = await session();
    const a = await call(s, framed(Buffer.alloc(3)), { ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Nope' });
    expect(a.headers[':status']).toBe(200);
    expect(a.status).toBe(String(status.UNIMPLEMENTED));
    expect(a.message).toBe('unknown method /opentelemetry.proto.collector.trace.v1.TraceService/Nope');
    expect(sink!.counts().traces.invalidRequests).toBe(0);
  });

  it('refuses content types other than application/grpc with HTTP 415, and methods other than POST with 405', async () => {
    const s = await session();
    expect((await call(s, Buffer.from('{}'), { 'content-type': 'application/json' })).headers[':status']).toBe(415);
    expect((await call(s, Buffer.alloc(0), { ':method': 'PUT' })).headers[':status']).toBe(405);
  });

  it('answers an unsupported grpc-encoding UNIMPLEMENTED, listing the encodings it accepts', async () => {
    const s = await session();
    const a = await call(s, framed(Buffer.alloc(4), true), { 'grpc-encoding': 'snappy' });
    expect(a.status).toBe(String(status.UNIMPLEMENTED));
    expect(a.message).toMatch(/unsupported grpc-encoding "snappy"/);
    expect(a.headers['grpc-accept-encoding']).toBe('identity,deflate,gzip');
    // Not a property lookup on a plain object.
    expect((await call(s, framed(Buffer.alloc(4), true), { 'grpc-encoding': 'constructor' })).status).toBe(String(status.UNIMPLEMENTED));
  });

  it.each([
    ['no message at all', Buffer.alloc(0), /request has no message/],
    ['a truncated message', Buffer.from([0, 0, 0, 1, 0, 9, 9]), /request ends after 2 of the 256 message bytes/],
    ['two messages', Buffer.concat([framed(Buffer.alloc(0)), framed(Buffer.alloc(0))]), /carries 5 bytes after its one message/],
    ['a compressed message without grpc-encoding', framed(Buffer.alloc(2), true), /flagged compressed but the call has no grpc-encoding/],
  ])('answers %s INTERNAL and counts it invalid', async (_, body, message) => {
    const s = await session();
    const a = await call(s, body);
    expect(a.status).toBe(String(status.INTERNAL));
    expect(a.message).toMatch(message);
    expect(sink!.counts().traces).toMatchObject({ requests: 0, invalidRequests: 1 });
  });

  it('rejects a message announced larger than 64 MiB with RESOURCE_EXHAUSTED without reading it into memory', async () => {
    const s = await session();
    const prefix = Buffer.from([0, 0x04, 0, 0, 1]); // 64 MiB + 1
    const a = await call(s, Buffer.concat([prefix, Buffer.alloc(1024)]));
    expect(a.status).toBe(String(status.RESOURCE_EXHAUSTED));
    expect(a.message).toMatch(/message of 67108865 bytes is larger than 67108864/);
    expect(sink!.counts().traces).toMatchObject({ requests: 0, invalidRequests: 1 });
  });

  it('decompresses gzip and deflate messages and counts the decompressed bytes', async () => {
    const s = await session();
    const body = encode('traces', tracesRequest(5, 4));
    expect((await call(s, framed(gzipSync(body), true), { 'grpc-encoding': 'gzip' })).status).toBe('0');
    expect((await call(s, framed(deflateSync(body), true), { 'grpc-encoding': 'deflate' })).status).toBe('0');
    expect(sink!.counts().traces).toMatchObject({ requests: 2, events: 40, bytes: 2 * body.length });
  });

  it('counts large gzip messages exactly, several at once on one connection', async () => {
    const s = await session();
    const bodies = [tracesRequest(2000, 5), tracesRequest(1500, 3)].map((r) => encode('traces', r));
    const answers = await Promise.all([...bodies, ...bodies, ...bodies].map((b) => call(s, framed(gzipSync(b), true), { 'grpc-encoding': 'gzip' })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill('0'));
    expect(sink!.counts().traces).toMatchObject({ requests: 6, events: 3 * (10_000 + 4500), bytes: 3 * (bodies[0]!.length + bodies[1]!.length) });
  });

  it('answers a corrupt gzip message INTERNAL and counts it invalid', async () => {
    const s = await session();
    const a = await call(s, framed(Buffer.from('not gzip at all'), true), { 'grpc-encoding': 'gzip' });
    expect(a.status).toBe(String(status.INTERNAL));
    expect(a.message).toMatch(/^malformed gzip message: /);
    expect(sink!.counts().traces).toMatchObject({ requests: 0, invalidRequests: 1 });
  });

  it('interoperates with grpc-js using deflate compression', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0' });
    const client = new Client(sink.grpcAddress!, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 1 });
    clients.push(client);
    const body = encode('logs', logsRequest(7));
    expect(await grpcExport(client, 'logs', body)).toBeUndefined();
    expect(sink.counts().logs).toMatchObject({ requests: 1, events: 7, bytes: body.length });
  });

  it('does not count a call whose client gave up during an injected delay (counted late), and keeps serving', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0', faults: { delayMs: 300 } });
    const client = grpcClient(sink.grpcAddress!);
    clients.push(client);
    const body = encode('logs', logsRequest(1));
    const timedOut = await new Promise<{ code: number } | null>((resolve) => {
      client.makeUnaryRequest(SIGNALS.logs.grpcPath, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), { deadline: Date.now() + 50 }, (err) => resolve(err));
    });
    expect(timedOut?.code).toBe(status.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 350));
    expect(await grpcExport(client, 'logs', body)).toBeUndefined();
    // The first call's client had given up before the answer: it will send it again.
    expect(sink.counts().logs).toMatchObject({ requests: 1, events: 1, lateRequests: 1 });
  });

  it('answers DEADLINE_EXCEEDED and counts late a call whose grpc-timeout passed before its message had arrived', async () => {
    const s = await session({ verify: true });
    const body = framed(encode('traces', tracesRequest(3, 2)));
    const answer = new Promise<{ status?: string; message?: string }>((resolve, reject) => {
      const req = s.request({ ':method': 'POST', ':path': SIGNALS.traces.grpcPath, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '100m' });
      let last: IncomingHttpHeaders = {};
      req.on('response', (h) => (last = { ...last, ...h }));
      req.on('trailers', (t) => (last = { ...last, ...t }));
      req.on('error', reject);
      req.on('close', () => resolve({ status: last['grpc-status'] as string | undefined, message: last['grpc-message'] as string | undefined }));
      req.write(body.subarray(0, 10));
      setTimeout(() => req.end(body.subarray(10)), 300);
    });
    expect((await answer).status).toBe(String(status.DEADLINE_EXCEEDED));
    expect(sink!.counts().traces).toMatchObject({ requests: 0, events: 0, lateRequests: 1 });
    // Not verified either: its client sends the same ids again.
    expect(await sink!.verification()).toMatchObject({ checked: { traces: 0 } });
    // A call that arrives within its timeout is counted.
    expect((await call(s, body, { 'grpc-timeout': '5S' })).status).toBe('0');
    expect(sink!.counts().traces).toMatchObject({ requests: 1, events: 6, lateRequests: 1 });
  });

  it('does not count a call its client reset while the answer was delayed', async () => {
    const s = await session({ faults: { delayMs: 300 } });
    const req = s.request({ ':method': 'POST', ':path': SIGNALS.traces.grpcPath, 'content-type': 'application/grpc', te: 'trailers' });
    req.on('error', () => {});
    req.end(framed(encode('traces', tracesRequest(2, 2))));
    await new Promise((r) => setTimeout(r, 100));
    req.close(constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 400));
    expect(sink!.counts().traces).toMatchObject({ requests: 0, events: 0, lateRequests: 1 });
  });

  it('lets an in-flight call finish when closed', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0', faults: { delayMs: 200 } });
    const client = grpcClient(sink.grpcAddress!);
    clients.push(client);
    const pending = grpcExport(client, 'logs', encode('logs', logsRequest(2)));
    await new Promise((r) => setTimeout(r, 100));
    await sink.close();
    expect(await pending).toBeUndefined();
    expect(sink.counts().logs.events).toBe(2);
  });
});
