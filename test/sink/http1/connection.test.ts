import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http1Request, Http1Response } from '../../../src/sink/http1/exchange.js';
import { createHttp1Server, type Http1Server } from '../../../src/sink/http1/server.js';

/** The sink's HTTP/1.1 server, spoken to by node:http's client and by raw bytes (what clients rarely send). */

const servers: Http1Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

interface Seen {
  req: Http1Request;
  body: Buffer;
}

/** Answers each request 200 with `<method> <url> <body bytes>` once its body has arrived. */
async function serve(onRequest?: (req: Http1Request, res: Http1Response) => void, idleTimeoutMs?: number): Promise<{ port: number; seen: Seen[]; server: Http1Server }> {
  const seen: Seen[] = [];
  const server = createHttp1Server({
    idleTimeoutMs,
    onRequest: onRequest ?? ((req, res) => {
      const chunks: Buffer[] = [];
      req.onData = (c) => chunks.push(c);
      req.onEnd = () => {
        const body = Buffer.concat(chunks);
        seen.push({ req, body });
        res.send(200, { 'content-type': 'text/plain' }, Buffer.from(`${req.method} ${req.url} ${body.length}`));
      };
    }),
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as { port: number }).port, seen, server };
}

/** A raw connection; `responses(n)` resolves once n whole responses have arrived, `closed` when the server ends it. */
async function raw(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let text = '';
  let wake: () => void = () => undefined;
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const parse = (): Array<{ status: number; head: string; body: string }> => {
    const out = [];
    let rest = text;
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) return out;
      const head = rest.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (rest.length < end + 4 + length) return out;
      out.push({ status: Number(head.slice(9, 12)), head, body: rest.slice(end + 4, end + 4 + length) });
      rest = rest.slice(end + 4 + length);
    }
  };
  return {
    socket, closed,
    async responses(n: number) {
      while (parse().length < n) await new Promise<void>((resolve) => (wake = resolve));
      return parse();
    },
  };
}

const post = (path: string, body: Buffer | string, extra = ''): Buffer => Buffer.concat([
  Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`), Buffer.from(body),
]);

describe('the sink\'s HTTP/1.1 server', () => {
  it('hands each body over byte for byte however the writes cut it, and keeps the connection for the next request', async () => {
    const { port, seen } = await serve();
    const c = await raw(port);
    const bodies = [randomBytes(3 * 1024 * 1024 + 5), randomBytes(10)];
    for (const [i, body] of bodies.entries()) {
      const bytes = post('/v1/traces', body);
      for (let at = 0; at < bytes.length; at += 70_001) c.socket.write(bytes.subarray(at, at + 70_001));
      await c.responses(i + 1);
    }
    expect((await c.responses(2)).map((r) => r.body)).toEqual([`POST /v1/traces ${bodies[0]!.length}`, 'POST /v1/traces 10']);
    expect(seen.map((s, i) => s.body.equals(bodies[i]!))).toEqual([true, true]);
  });

  it('reads a chunked body (extensions, trailers) and then a request pipelined behind it, answering in order', async () => {
    const { port, seen } = await serve();
    const c = await raw(port);
    // The CRLF between them is one some clients send after a body: ignored.
    c.socket.write('POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n\r\n' + post('/b', 'second').toString());
    const answers = await c.responses(2);
    expect(answers.map((a) => a.body)).toEqual(['POST /a 11', 'POST /b 6']);
    expect(seen[0]!.body.toString()).toBe('hello world');
    expect(seen[0]!.req.contentLength).toBeUndefined();
  });

  it('sends 100 Continue to a node:http client that waits for it, then reads its body', async () => {
    const { port } = await serve();
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/logs', headers: { expect: '100-continue', 'content-length': 3 } });
      req.on('continue', () => req.end('abc'));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += String(d))).on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
    });
    expect(answer).toBe('200 POST /v1/logs 3');
  });

  it('reads to the end of a body it answered before reading, so the next request on the connection is read right', async () => {
    const { port } = await serve((req, res) => {
      if (req.url === '/early') return res.send(404, {}, Buffer.from('no'));
      req.onEnd = () => res.send(200, {}, Buffer.from('yes'));
    });
    const c = await raw(port);
    c.socket.write(Buffer.concat([post('/early', randomBytes(200_000)), post('/late', 'x')]));
    expect((await c.responses(2)).map((r) => [r.status, r.body])).toEqual([[404, 'no'], [200, 'yes']]);
  });

  it('closes after answering an HTTP/1.0 request without keep-alive, or one that asks for Connection: close', async () => {
    const { port } = await serve();
    for (const request of ['POST /x HTTP/1.0\r\ncontent-length: 0\r\n\r\n', 'POST /x HTTP/1.1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n']) {
      const c = await raw(port);
      c.socket.write(request);
      const [answer] = await c.responses(1);
      expect(answer!.head).toMatch(/connection: close/);
      await c.closed;
    }
  });

  it.each([
    ['a bad request line', 'HELLO\r\n\r\n', 400, /bad request line "HELLO"/],
    ['both Content-Length and Transfer-Encoding', 'POST /x HTTP/1.1\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n', 400, /both Transfer-Encoding and Content-Length/],
    ['a Content-Length that is not a number', 'POST /x HTTP/1.1\r\ncontent-length: 1, 1\r\n\r\n', 400, /bad Content-Length "1, 1"/],
    ['a folded header line', 'POST /x HTTP/1.1\r\nx-a: 1\r\n b\r\n\r\n', 400, /bad header line " b"/],
    ['a bad chunk size', 'POST /x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 400, /bad chunk size line "zz"/],
    ['a head over 64 KiB', `POST /x HTTP/1.1\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`, 431, /request head over 65536 bytes/],
  ])('answers %s in plain text and closes the connection', async (_, request, status, why) => {
    const { port } = await serve();
    const c = await raw(port);
    c.socket.write(request);
    const [answer] = await c.responses(1);
    expect(answer!.status).toBe(status);
    expect(answer!.body).toMatch(why);
    await c.closed;
  });

  it('ends a connection idle past its timeout, but never one whose answer is still coming', async () => {
    const { port } = await serve((req, res) => {
      req.onEnd = () => setTimeout(() => res.send(200, {}, Buffer.from('slow')), 600);
    }, 150);
    const c = await raw(port);
    c.socket.write(post('/x', 'abc'));
    const [answer] = await c.responses(1);
    expect(answer!.body).toBe('slow');
    // Kept alive after the answer, then ended by the idle timeout.
    expect(answer!.head).not.toMatch(/connection: close/i);
    await c.closed;
  });

  it('tells the handler when the client goes away in the middle of a body', async () => {
    let req: Http1Request | undefined;
    let res: Http1Response | undefined;
    let aborted = false;
    const { port } = await serve((q, s) => {
      [req, res] = [q, s];
      q.onAbort = () => (aborted = true);
    });
    const c = await raw(port);
    c.socket.write(post('/x', 'x'.repeat(100)).subarray(0, 80));
    for (let i = 0; i < 100 && !req; i++) await new Promise((r) => setTimeout(r, 10));
    c.socket.destroy();
    await c.closed;
    for (let i = 0; i < 100 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
    expect([aborted, req!.aborted, res!.clientGone]).toEqual([true, true, true]);
  });

  it('on close ends an idle connection at once and a busy one right after its answer', async () => {
    let pending: Http1Response | undefined;
    const { port, server } = await serve((req, res) => {
      req.onEnd = () => (pending = res);
    });
    const idle = await raw(port);
    const busy = await raw(port);
    busy.socket.write(post('/x', 'abc'));
    for (let i = 0; i < 100 && !pending; i++) await new Promise((r) => setTimeout(r, 10));
    const closed = server.close(5000);
    await idle.closed;
    pending!.send(200, {}, Buffer.from('done'));
    expect((await busy.responses(1))[0]!.body).toBe('done');
    await busy.closed;
    await closed;
  });
});
