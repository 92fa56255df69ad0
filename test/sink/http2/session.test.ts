import { randomBytes } from 'node:crypto';
import { connect as h2connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FLAG, FRAME, H2_ERROR, PREFACE, SETTING, frame, settingsFrame, windowUpdateFrame } from '../../../src/sink/http2/frames.js';
import { encodeHeaders, HpackDecoder } from '../../../src/sink/http2/hpack.js';
import { createHttp2Server, type Http2Server } from '../../../src/sink/http2/server.js';
import type { ServerStream } from '../../../src/sink/http2/server-stream.js';
import type { SessionOptions } from '../../../src/sink/http2/session.js';

/** The sink's HTTP/2 server, spoken to by node:http2's client (what real clients do) and by raw frames (what they never do). */

const servers: Http2Server[] = [];
const clients: Array<ClientHttp2Session | Socket> = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function serve(onStream: (s: ServerStream) => void, opts: Partial<SessionOptions> = {}): Promise<{ port: number; server: Http2Server }> {
  const server = createHttp2Server({
    streamWindow: 8 << 20, connectionWindow: 32 << 20, maxConcurrentStreams: 100, maxHeaderBlock: 64 << 10, onStream, ...opts,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as { port: number }).port, server };
}

/** Collects a stream's request and answers 200, `ok` and an `x-got` trailer with its byte count. */
function echoLength(seen?: (s: ServerStream, body: Buffer) => void) {
  return (s: ServerStream): void => {
    const chunks: Buffer[] = [];
    s.onData = (c) => chunks.push(Buffer.from(c));
    s.onEnd = () => {
      const body = Buffer.concat(chunks);
      seen?.(s, body);
      s.respond([[':status', '200']]);
      s.data(Buffer.from('ok'));
      s.trailers([['x-got', String(body.length)]]);
    };
  };
}

async function client(port: number, opts: Parameters<typeof h2connect>[1] = {}): Promise<ClientHttp2Session> {
  const c = h2connect(`http://127.0.0.1:${port}`, opts);
  clients.push(c);
  await new Promise<void>((resolve, reject) => c.once('remoteSettings', () => resolve()).once('error', reject));
  return c;
}

function post(c: ClientHttp2Session, body: Buffer, headers: Record<string, string> = {}): Promise<{ headers: IncomingHttpHeaders; body: string; trailers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = c.request({ ':method': 'POST', ':path': '/x', ...headers });
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    let text = '';
    req.on('response', (h) => (head = h)).on('trailers', (t) => (trailers = t)).on('data', (d: Buffer) => (text += d.toString()));
    req.on('error', reject).on('close', () => resolve({ headers: head, body: text, trailers }));
    req.end(body);
  });
}

/** A client that writes frames by hand and reads the server's frames as they come. */
async function rawClient(port: number, settings: Array<[number, number]> = []) {
  const socket = netConnect(port, '127.0.0.1');
  clients.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const frames: Array<{ type: number; flags: number; id: number; payload: Buffer }> = [];
  let buf = Buffer.alloc(0);
  let waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
      const length = buf.readUIntBE(0, 3);
      frames.push({ type: buf[3]!, flags: buf[4]!, id: buf.readUInt32BE(5), payload: buf.subarray(9, 9 + length) });
      buf = buf.subarray(9 + length);
    }
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(Buffer.concat([PREFACE, settingsFrame(settings)]));
  return {
    socket, frames, closed,
    send: (...out: Buffer[]) => socket.write(Buffer.concat(out)),
    /** Resolves with the first frame (from the start) that matches. */
    async next(match: (f: (typeof frames)[number]) => boolean) {
      for (;;) {
        const found = frames.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

const REQUEST = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', '/x'], [':authority', 'test']]);

describe('the sink\'s HTTP/2 server', () => {
  it('hands a request to its stream byte for byte, however reads cut its frames, and reopens a stream window smaller than the request', async () => {
    let got: Buffer | undefined;
    const { port } = await serve(echoLength((_, body) => (got = body)), { streamWindow: 64 * 1024 });
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const a = await post(await client(port), body);
    expect(a.headers[':status']).toBe(200);
    expect(a.body).toBe('ok');
    expect(a.trailers['x-got']).toBe(String(body.length));
    expect(got!.equals(body)).toBe(true);
  });

  it('reads every header node:http2 sends: Huffman strings, its dynamic table over many requests, padding, CONTINUATION', async () => {
    const seen: Array<Readonly<Record<string, string>>> = [];
    const { port } = await serve(echoLength((s) => seen.push(s.headers)));
    const c = await client(port, { paddingStrategy: constants.PADDING_STRATEGY_MAX });
    const printable = (n: number): string => Array.from(randomBytes(n), (b) => String.fromCharCode(0x20 + (b % 95))).join('').trim() || 'x';
    const sent = Array.from({ length: 60 }, (_, i) => ({
      'x-same': 'repeated value, indexed after the first request',
      [`x-key-${i % 7}`]: printable(1 + (i * 37) % 300),
      ...(i === 30 ? { 'x-large': 'L'.repeat(40_000) } : {}),
    }));
    for (const headers of sent) await post(c, randomBytes(100), headers);
    expect(seen).toHaveLength(sent.length);
    seen.forEach((h, i) => {
      expect(h).toMatchObject({ ':method': 'POST', ':path': '/x', ...sent[i] });
    });
  });

  it('answers PING with an ACK that carries the same 8 bytes', async () => {
    const { port } = await serve(echoLength());
    const c = await client(port);
    const payload = randomBytes(8);
    const echoed = await new Promise<Buffer>((resolve, reject) => c.ping(payload, (err, _ms, p) => (err ? reject(err) : resolve(p))));
    expect(echoed.equals(payload)).toBe(true);
  });

  it('sends response DATA only within the client\'s flow-control window', async () => {
    const { port } = await serve(echoLength());
    const raw = await rawClient(port, [[SETTING.INITIAL_WINDOW_SIZE, 0]]);
    raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, REQUEST));
    await raw.next((f) => f.type === FRAME.HEADERS && f.id === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(raw.frames.filter((f) => f.id === 1 && f.type === FRAME.DATA)).toEqual([]);
    raw.send(windowUpdateFrame(1, 2));
    const data = await raw.next((f) => f.id === 1 && f.type === FRAME.DATA);
    expect(data.payload.toString()).toBe('ok');
    const trailers = await raw.next((f) => f.id === 1 && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    expect(new HpackDecoder().decode(trailers.payload)).toEqual([['x-got', '0']]);
  });

  it('refuses a stream over the concurrency limit with REFUSED_STREAM and keeps serving the others', async () => {
    const { port } = await serve(echoLength(), { maxConcurrentStreams: 1 });
    const raw = await rawClient(port);
    raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, REQUEST), frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, REQUEST));
    const rst = await raw.next((f) => f.type === FRAME.RST_STREAM);
    expect([rst.id, rst.payload.readUInt32BE(0)]).toEqual([3, H2_ERROR.REFUSED_STREAM]);
    raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('abc')));
    const trailers = await raw.next((f) => f.id === 1 && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    expect(new HpackDecoder().decode(trailers.payload)).toEqual([['x-got', '3']]);
  });

  it('asks the client to stop sending (RST_STREAM NO_ERROR) once it has answered early, and ignores the rest of that request', async () => {
    const { port } = await serve((s) => {
      if (s.headers['x-refuse']) s.respond([[':status', '415']], true);
      else echoLength()(s);
    });
    const raw = await rawClient(port);
    const refused = encodeHeaders([[':method', 'POST'], [':path', '/x'], ['x-refuse', '1']]);
    raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, refused));
    const rst = await raw.next((f) => f.type === FRAME.RST_STREAM && f.id === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(H2_ERROR.NO_ERROR);
    raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.alloc(1000)), frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, REQUEST));
    const trailers = await raw.next((f) => f.id === 3 && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    expect(new HpackDecoder().decode(trailers.payload)).toEqual([['x-got', '0']]);
    expect(raw.frames.some((f) => f.type === FRAME.GOAWAY)).toBe(false);
  });

  it.each([
    ['DATA on stream 0', frame(FRAME.DATA, 0, 0, Buffer.from('x')), H2_ERROR.PROTOCOL_ERROR, /DATA on stream 0/],
    ['a frame over the 16 KiB frame size', frame(FRAME.DATA, 0, 1, Buffer.alloc(16385)), H2_ERROR.FRAME_SIZE_ERROR, /over SETTINGS_MAX_FRAME_SIZE/],
    ['a header block HPACK cannot read', frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0x80 | 99])), H2_ERROR.COMPRESSION_ERROR, /HPACK: index 99/],
    ['PUSH_PROMISE', frame(FRAME.PUSH_PROMISE, FLAG.END_HEADERS, 1, Buffer.alloc(4)), H2_ERROR.PROTOCOL_ERROR, /PUSH_PROMISE/],
  ])('closes the connection with GOAWAY on %s, saying why', async (_, bad, code, why) => {
    const { port } = await serve(echoLength());
    const raw = await rawClient(port);
    raw.send(bad);
    const goaway = await raw.next((f) => f.type === FRAME.GOAWAY);
    expect(goaway.payload.readUInt32BE(4)).toBe(code);
    expect(goaway.payload.subarray(8).toString()).toMatch(why);
    await raw.closed;
  });

  it('answers a client that does not speak HTTP/2 in HTTP/1.1, saying what the port speaks', async () => {
    const { port } = await serve(echoLength());
    const socket = netConnect(port, '127.0.0.1');
    clients.push(socket);
    socket.end('POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
    let text = '';
    for await (const d of socket) text += String(d);
    expect(text).toMatch(/^HTTP\/1.1 505 /);
    expect(text).toMatch(/gRPC over HTTP\/2 only/);
  });

  it('on close sends GOAWAY, lets a call in progress finish, then ends the connection', async () => {
    let pending: ServerStream | undefined;
    const { port, server } = await serve((s) => {
      pending = s;
      s.onEnd = () => undefined;
    });
    const c = await client(port);
    const goaway = new Promise<number>((resolve) => c.once('goaway', (code) => resolve(code)));
    const answer = post(c, Buffer.from('late'));
    for (let i = 0; i < 100 && !pending; i++) await new Promise((r) => setTimeout(r, 10));
    const closed = server.close(5000);
    expect(await goaway).toBe(H2_ERROR.NO_ERROR);
    pending!.respond([[':status', '200']], true);
    expect((await answer).headers[':status']).toBe(200);
    await closed;
  });

  it('tells a handler a stream its client reset is no longer open', async () => {
    let stream: ServerStream | undefined;
    const { port } = await serve((s) => (stream = s));
    const c = await client(port);
    const req = c.request({ ':method': 'POST', ':path': '/x' });
    req.on('error', () => undefined);
    for (let i = 0; i < 100 && !stream; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stream!.open).toBe(true);
    req.close(constants.NGHTTP2_CANCEL);
    for (let i = 0; i < 100 && stream!.open; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stream!.open).toBe(false);
  });
});
