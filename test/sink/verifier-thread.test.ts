import { monitorEventLoopDelay } from 'node:perf_hooks';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { VerifierThread } from '../../src/sink/verifier-thread.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { encode, toJson, tracesRequest } from './fixtures.js';

const threads: VerifierThread[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close()));
});

function start(maxBacklogBytes?: number): VerifierThread {
  const t = new VerifierThread({}, undefined, maxBacklogBytes);
  threads.push(t);
  return t;
}

/** A body in a buffer of its own, larger than the body, as the sink's receive pool hands out. */
function pooled(bytes: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafeSlow(2 * bytes.length).subarray(0, bytes.length);
  buf.set(bytes);
  return buf;
}

describe('VerifierThread', () => {
  it('verifies in its own thread; a pooled body is transferred, not copied, and comes back for reuse', async () => {
    const t = start();
    const bytes = encode('traces', tracesRequest(20, 5));
    const body = pooled(bytes);
    const capacity = body.buffer.byteLength;
    let back: Buffer | undefined;
    t.submit('traces', 'proto', body, (b) => (back = b));
    // Transferred: this thread no longer holds the bytes.
    expect(body.buffer.byteLength).toBe(0);
    expect(await t.report()).toMatchObject({ checked: { traces: 100 }, problems: {}, ok: true, skippedRequests: { traces: 0 } });
    expect(back!.equals(bytes)).toBe(true);
    expect(back!.buffer.byteLength).toBe(capacity);
  });

  it('transfers a body that owns its whole ArrayBuffer and copies one that shares Node\'s Buffer slab', async () => {
    const t = start();
    const big = Buffer.from(toJson('traces', tracesRequest(30, 4)));
    expect(big.byteLength).toBe(big.buffer.byteLength);
    const small = Buffer.from(encode('traces', tracesRequest(1, 2)));
    expect(small.byteLength).toBeLessThan(small.buffer.byteLength);
    const smallCopy = Buffer.from(small);
    t.submit('traces', 'json', big);
    t.submit('traces', 'proto', small);
    expect(big.buffer.byteLength).toBe(0);
    // The slab is still ours, untouched.
    expect(small.equals(smallCopy)).toBe(true);
    expect(await t.report()).toMatchObject({ checked: { traces: 122 }, ok: true });
  });

  it('reports a body that does not decode as undecodable', async () => {
    const t = start();
    t.submit('traces', 'proto', Buffer.from([0x0a, 0x05, 0x08]));
    const r = await t.report();
    expect(r).toMatchObject({ problems: { undecodable: 1 }, ok: false });
    expect(r.examples.undecodable![0]!.message).toMatch(/^proto request does not decode: /);
  });

  it('skips and reports requests while more bytes than its limit wait to be verified', async () => {
    const bytes = encode('traces', tracesRequest(2, 2));
    const t = start(bytes.length + 1);
    for (let i = 0; i < 3; i++) t.submit('traces', 'proto', Buffer.from(bytes));
    expect(await t.report()).toMatchObject({ checked: { traces: 4 }, skippedRequests: { traces: 2, metrics: 0, logs: 0 } });
    // Once it has caught up, it verifies again.
    t.submit('traces', 'proto', Buffer.from(bytes));
    expect(await t.report()).toMatchObject({ checked: { traces: 8 }, skippedRequests: { traces: 2 } });
  });

  it('checks what is queued at close and keeps answering with that final report', async () => {
    const t = start();
    t.submit('traces', 'proto', Buffer.from(encode('traces', tracesRequest(3, 3))));
    const last = await t.close();
    expect(last).toMatchObject({ checked: { traces: 9 } });
    t.submit('traces', 'proto', Buffer.from(encode('traces', tracesRequest(3, 3))));
    expect(await t.report()).toEqual(last);
  });
});

const startSink = sinksClosedAfterEach();

/** The longest the sink's thread (this one) was blocked while it received and answered `body`. */
async function blockedMs(verify: boolean, body: Buffer): Promise<{ ms: number; checked: number | undefined }> {
  const sink = await startSink({ http: '127.0.0.1:0', verify });
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const res = await request(`http://${sink.httpAddress}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
  await res.body.dump();
  expect(res.statusCode).toBe(200);
  h.disable();
  return { ms: h.max / 1e6, checked: (await sink.verification())?.checked.traces };
}

describe('sink verification', () => {
  it('runs off the serving thread: verifying a large request does not block receiving', async () => {
    const body = encode('traces', tracesRequest(2000, 15));
    const plain = await blockedMs(false, body);
    const verified = await blockedMs(true, body);
    expect(verified.checked).toBe(30000);
    // Decoding and checking 30,000 spans on this thread blocked it for hundreds of ms.
    expect(verified.ms, `blocked ${verified.ms} ms with verify, ${plain.ms} ms without`).toBeLessThan(plain.ms + 80);
  });
});
