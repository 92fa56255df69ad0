import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../../src/sink/intake.js';
import { buildReport } from '../../src/sink/report.js';
import { Verifier } from '../../src/sink/verify.js';
import { encode, span, spansRequest, toJson } from './fixtures.js';

const MS = 1_000_000n;
/** Whole ms, now: times must lie in the verifier's window too. */
const T0 = Date.now();

/** One trace: a root from T0 to T0 + 2 s and `children` children ending at T0 + 100 ms. */
function trace(children: number): { root: Record<string, unknown>; kids: Record<string, unknown>[] } {
  const traceId = randomBytes(16);
  const root = span({ traceId, start: BigInt(T0) * MS, end: BigInt(T0 + 2000) * MS });
  const kids = Array.from({ length: children }, () => span({ traceId, parentSpanId: root.spanId as Uint8Array, start: BigInt(T0) * MS, end: BigInt(T0 + 100) * MS }));
  return { root, kids };
}

const send = (v: Verifier, spans: Record<string, unknown>[], receivedAtMs: number, json = false): void =>
  json ? v.checkBody('traces', 'json', Buffer.from(toJson('traces', spansRequest([spans]))), receivedAtMs)
    : v.checkBody('traces', 'proto', encode('traces', spansRequest([spans])), receivedAtMs);

describe.each([['protobuf', false], ['OTLP/JSON', true]] as const)('arrival checks on %s requests', (_, json) => {
  it('counts spans that arrive more than 50 ms before their end, with the largest lead', () => {
    const v = new Verifier();
    const { root, kids } = trace(2);
    send(v, kids, T0 + 100, json); // as they end
    send(v, [root], T0 + 1960, json); // within the allowance
    expect(v.report().arrival).toMatchObject({ allowanceMs: 50, endedAfterArrival: 0, maxEndAfterArrivalMs: 0 });
    const early = trace(1);
    send(v, [early.root, ...early.kids], T0, json); // the whole trace when it starts
    const a = v.report().arrival;
    expect(a).toMatchObject({ endedAfterArrival: 2, maxEndAfterArrivalMs: 2000 });
    expect(a.examples.endedAfterArrival[0]!.message).toMatch(/^ends \d+ ms after it arrived$/);
    // Not a broken request: ok stays true.
    expect(v.report().ok).toBe(true);
  });

  it('counts once per trace a root that arrives in an earlier request than one of its children', () => {
    const v = new Verifier();
    const first = trace(3);
    send(v, [first.root, first.kids[0]!], T0 + 2000, json);
    send(v, [first.kids[1]!], T0 + 2000, json);
    send(v, [first.kids[2]!], T0 + 2000, json);
    expect(v.report().arrival.rootsBeforeChildren).toBe(1);
    // Children before the root, or all in one request: as an SDK sends them.
    const second = trace(2);
    send(v, second.kids, T0 + 2000, json);
    send(v, [second.root], T0 + 2000, json);
    const third = trace(2);
    send(v, [third.root, ...third.kids], T0 + 2000, json);
    expect(v.report().arrival.rootsBeforeChildren).toBe(1);
  });
});

describe('the sink report', () => {
  it('carries the arrival counts and examples under verification.arrival, in snake_case', () => {
    const v = new Verifier();
    const { root, kids } = trace(1);
    send(v, [root, ...kids], T0);
    const skippedRequests = { traces: 0, metrics: 0, logs: 0 };
    const report = buildReport({ startedAt: T0, now: T0 + 1000, counts: emptyCounts(), faults: {}, timeline: [], verification: { ...v.report(), skippedRequests } });
    const json = JSON.parse(JSON.stringify(report));
    expect(json.verification.arrival).toMatchObject({ allowance_ms: 50, ended_after_arrival: 2, max_end_after_arrival_ms: 2000, roots_before_children: 0 });
    expect(json.verification.arrival.examples.ended_after_arrival).toHaveLength(2);
  });
});
