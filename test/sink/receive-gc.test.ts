import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnJsonLines, type JsonLinesProcess } from '../../bench/child-process.js';
import { packageRoot } from '../../src/package-root.js';
import { encode, tracesRequest } from './fixtures.js';

const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
/** --trace-gc writes one line per GC; an incrementally marked mark-compact says how it marked. */
const INCREMENTAL = /since start of marking|incremental marking/;

let sink: JsonLinesProcess | undefined;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with npm run build`);
});
afterEach(async () => {
  if (sink && sink.child.exitCode === null && sink.child.signalCode === null) sink.child.kill('SIGKILL');
  await sink?.exited;
  sink = undefined;
});

describe('the sink command while it receives', () => {
  it('never marks incrementally, even with V8 told to start incremental marking at every chance', async () => {
    // --stress-incremental-marking makes the churn of received buffers start a marking at
    // every allocation-limit check (dozens over these requests without the sink's tuning).
    sink = spawnJsonLines(['--trace-gc', '--stress-incremental-marking', CLI, 'sink', '--http', '127.0.0.1:0', '--interval', '1h']);
    const listening = await sink.waitFor((l) => l.msg === 'sink listening', 60_000);
    const from = sink.lines.indexOf(listening);
    const body = encode('traces', tracesRequest(1000, 10));
    const agent = new Agent({ connections: 2 });
    const requests = 30;
    let sent = 0;
    const lane = async (): Promise<void> => {
      while (sent < requests) {
        sent++;
        const res = await request(`http://${String(listening.http)}/v1/traces`, {
          method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' }, dispatcher: agent,
        });
        await res.body.arrayBuffer();
        expect(res.statusCode).toBe(200);
      }
    };
    await Promise.all([lane(), lane()]);
    await agent.close();
    sink.child.kill('SIGTERM');
    await sink.exited;
    const summary = sink.lines.find((l) => l.msg === 'sink summary') as { total?: { requests?: number } } | undefined;
    expect(summary?.total?.requests).toBe(requests);
    const gcLines = sink.lines.slice(from).map((l) => l.msg).filter((m) => /Mark-Compact|Scavenge/.test(m));
    // A marking begun while the CLI's modules loaded (before the sink could turn marking off)
    // may still end after "sink listening": that first mark-compact is not the sink's.
    const first = gcLines.findIndex((m) => m.includes('Mark-Compact'));
    expect(gcLines.slice(first + 1).filter((m) => INCREMENTAL.test(m))).toEqual([]);
  }, 120_000);
});
