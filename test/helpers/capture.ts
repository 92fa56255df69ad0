import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { decodeOtlpJsonValue } from '../../src/otlp/json-decode.js';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';

/** An OTLP/HTTP endpoint on loopback that keeps every request it accepts, decoded, with its arrival time. */
export interface Capture { url: string; requests: { encoding: 'proto' | 'json'; request: any; arrivedNs: bigint }[]; server: Server }

/**
 * Call once at the top of a test file: returns a `capture(signal)` whose servers are all
 * closed after each test.
 */
export function capturesClosedAfterEach(): (signal: Signal) => Promise<Capture> {
  let open: Server[] = [];
  afterEach(async () => {
    await Promise.all(open.map((s) => new Promise((r) => s.close(r))));
    open = [];
  });
  return async (signal) => {
    const c: Capture = { url: '', requests: [], server: createServer() };
    c.server.on('request', (req, res) => {
      // Arrival is when the request starts, as the built-in sink counts it.
      const arrivedNs = BigInt(Date.now()) * 1_000_000n;
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const json = String(req.headers['content-type']).includes('json');
        const request = json ? decodeOtlpJsonValue(signal, JSON.parse(body.toString('utf8'))) : requestType(signal).decode(body);
        c.requests.push({ encoding: json ? 'json' : 'proto', request, arrivedNs });
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : '');
      });
    });
    open.push(c.server);
    await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
    c.url = `http://127.0.0.1:${(c.server.address() as AddressInfo).port}`;
    return c;
  };
}
