import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigProblem, WireError } from '../../src/errors.js';
import { parseGeneratorConfig } from '../../src/generator/config.js';
import { writeDataset } from '../../src/generator/writer.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { SIGNAL_NAMES, type Signal } from '../../src/otlp/signals.js';
import { type AttributeAction, type AttributeScope, rewriteAttributes } from '../../src/compile/attribute-rewrite.js';
import { attributeRequest, BIG_TIME, decode, encode, expected, holders, s } from './attribute-requests.js';

const SCOPES: AttributeScope[] = ['resource', 'item'];
const LONG = 'L'.repeat(300); // crosses one- and two-byte length prefixes

/** Action lists covering each action on present, absent, duplicate and re-added keys, with every value type. */
const SCENARIOS: Record<string, AttributeAction[]> = {
  insert: [{ key: 'a', action: 'insert', value: 'new' }, { key: 'z', action: 'insert', value: 'added' }],
  update: [{ key: 'a', action: 'update', value: 'u' }, { key: 'z', action: 'update', value: 'never' }, { key: 'b', action: 'update', value: 42 }],
  upsert: [{ key: 'a', action: 'upsert', value: 1.25 }, { key: 'z', action: 'upsert', value: true }, { key: 'n', action: 'upsert', value: -9 }],
  delete: [{ key: 'a', action: 'delete' }, { key: 'z', action: 'delete' }, { key: 'service.name', action: 'delete' }],
  'long values': [{ key: 'c', action: 'update', value: LONG }, { key: 'a', action: 'upsert', value: LONG }, { key: 'y', action: 'insert', value: LONG }],
  'in order': [
    { key: 'a', action: 'delete' }, { key: 'a', action: 'insert', value: false }, { key: 'b', action: 'upsert', value: 2 ** 60 },
    { key: 'z', action: 'insert', value: 'z1' }, { key: 'z', action: 'update', value: 'z2' }, { key: 'y', action: 'upsert', value: 1e300 },
    { key: 'z', action: 'insert', value: 'ignored' }, { key: 'n', action: 'update', value: '' }, { key: 'd', action: 'delete' },
  ],
};

describe('rewriteAttributes', () => {
  for (const signal of SIGNAL_NAMES) {
    for (const scope of SCOPES) {
      it(`applies every action as the Collector does to the ${scope} attributes of ${signal}, and nothing else changes`, () => {
        const bytes = encode(signal, attributeRequest(signal));
        const before = Buffer.from(bytes);
        for (const [name, actions] of Object.entries(SCENARIOS)) {
          const out = rewriteAttributes(signal, bytes, scope, actions);
          expect(decode(signal, out), name).toEqual(expected(signal, bytes, scope, actions));
        }
        expect(Buffer.from(bytes).equals(before)).toBe(true); // the input is never written to
      });
    }
  }

  it('matches the reference for random action lists on every signal and scope', () => {
    const rand = mulberry32(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const requests = Object.fromEntries(SIGNAL_NAMES.map((sig) => [sig, encode(sig, attributeRequest(sig))])) as Record<Signal, Uint8Array>;
    for (let round = 0; round < 40; round++) {
      const actions = Array.from({ length: 1 + Math.floor(rand() * 6) }, (): AttributeAction => {
        const action = pick(['insert', 'update', 'upsert', 'delete'] as const);
        return { key: pick(['a', 'b', 'c', 'z', 'service.name']), action, value: action === 'delete' ? undefined : pick(['v', LONG, 7, -1, 0.5, true]) };
      });
      const signal = pick(SIGNAL_NAMES), scope = pick(SCOPES);
      expect(decode(signal, rewriteAttributes(signal, requests[signal], scope, actions)), JSON.stringify(actions)).toEqual(expected(signal, requests[signal], scope, actions));
    }
  });

  it('writes strings, booleans, integers and other numbers as the matching AnyValue', () => {
    const bytes = encode('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: BIG_TIME }] }] }] });
    const values = ['text', '', true, false, 0, -1, 2 ** 53 + 2, -(2 ** 62), 1.5, -0.25, 1e21, 2 ** 64];
    const actions = values.map((value, i): AttributeAction => ({ key: `k${i}`, action: 'insert', value }));
    const out = decode('logs', rewriteAttributes('logs', bytes, 'item', actions));
    const record = out.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(record.timeUnixNano).toBe(BIG_TIME);
    expect(record.attributes.map((kv: any) => kv.value)).toEqual([
      { stringValue: 'text' }, { stringValue: '' }, { boolValue: true }, { boolValue: false }, { intValue: '0' }, { intValue: '-1' },
      { intValue: '9007199254740994' }, { intValue: '-4611686018427387904' }, { doubleValue: 1.5 }, { doubleValue: -0.25 },
      { doubleValue: 1e21 }, { doubleValue: 2 ** 64 }, // integers beyond int64 stay doubles
    ]);
  });

  it('adds an attributes field to items without one, at every kind of item', () => {
    for (const signal of SIGNAL_NAMES) {
      const bytes = encode(signal, attributeRequest(signal));
      const bare = holders(signal, decode(signal, bytes), 'item').filter((h) => !h.attributes);
      expect(bare.length).toBeGreaterThan(signal === 'metrics' ? 10 : 3);
      const out = holders(signal, decode(signal, rewriteAttributes(signal, bytes, 'item', [{ key: 'z', action: 'insert', value: 'v' }])), 'item');
      for (const h of out) expect(h.attributes.at(-1)).toEqual(s('z', 'v'));
      if (signal === 'metrics') expect(out).toHaveLength(3 * 2 * 5 * 2); // resources × scopes × kinds × points
    }
  });

  it('creates the resource of a resource entry that has none, and only when a key is added', () => {
    const bytes = encode('traces', attributeRequest('traces'));
    const out = decode('traces', rewriteAttributes('traces', bytes, 'resource', [{ key: 'host', action: 'upsert', value: 'h1' }]));
    expect(out.resourceSpans.map((r: any) => r.resource)).toEqual([
      { attributes: [s('service.name', 'svc'), s('a', 'res'), s('host', 'h1')], droppedAttributesCount: 1 },
      { attributes: [s('host', 'h1')] },
      { attributes: [s('host', 'h1')], droppedAttributesCount: 2 },
    ]);
    const kept = decode('traces', rewriteAttributes('traces', bytes, 'resource', [{ key: 'host', action: 'update', value: 'h1' }]));
    expect(kept.resourceSpans[1].resource).toBeUndefined();
  });

  it('leaves the attributes of scopes, events, links, exemplars, metadata and log bodies alone', () => {
    const actions: AttributeAction[] = [{ key: 'a', action: 'upsert', value: 'changed' }, { key: 'scope.attr', action: 'delete' }];
    const untouched: Record<Signal, string[]> = { traces: ['event', 'link'], logs: ['body'], metrics: ['exemplar', 'meta'] };
    for (const signal of SIGNAL_NAMES) {
      const text = JSON.stringify(decode(signal, rewriteAttributes(signal, encode(signal, attributeRequest(signal)), 'item', actions)));
      for (const v of [...untouched[signal], 'res', 'keep']) expect(text, `${signal} ${v}`).toContain(`"stringValue":"${v}"`);
      expect(text).toContain('"stringValue":"changed"');
    }
  });

  it('returns the same bytes when update and delete match no key', () => {
    const actions: AttributeAction[] = [{ key: 'zz', action: 'update', value: 1 }, { key: 'zzz', action: 'delete' }];
    for (const signal of SIGNAL_NAMES) {
      const bytes = encode(signal, attributeRequest(signal));
      for (const scope of SCOPES) {
        const out = rewriteAttributes(signal, bytes, scope, actions);
        expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
        expect(out).not.toBe(bytes);
      }
    }
  });

  it('changes only the value bytes when an update keeps the length', () => {
    const span = (i: number) => ({ name: `s${i}`, startTimeUnixNano: BIG_TIME, attributes: [s('k', 'y'), s('other', 'y')] });
    const bytes = encode('traces', { resourceSpans: [{ resource: { attributes: [s('k', 'y')] }, scopeSpans: [{ spans: [0, 1, 2].map(span) }] }] });
    const out = rewriteAttributes('traces', bytes, 'item', [{ key: 'k', action: 'update', value: 'Y' }]);
    expect(out.length).toBe(bytes.length);
    const diff = [...out.keys()].filter((i) => out[i] !== bytes[i]);
    expect(diff).toHaveLength(3);
    for (const i of diff) expect([bytes[i], out[i]]).toEqual([0x79, 0x59]); // 'y' → 'Y'
  });

  it('keeps every time field, also fixed64 times above 2^53, exactly', () => {
    const bytes = encode('traces', attributeRequest('traces'));
    const out = decode('traces', rewriteAttributes('traces', bytes, 'item', [{ key: 'a', action: 'delete' }, { key: 'x', action: 'insert', value: LONG }]));
    const span = out.resourceSpans[2].scopeSpans[1].spans[3];
    expect([span.startTimeUnixNano, span.endTimeUnixNano, span.events[0].timeUnixNano]).toEqual([BIG_TIME, '1732700000123457001', BIG_TIME]);
  });

  it('matches the reference on the generator\'s templates of every signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replayd-attr-'));
    try {
      const problems: ConfigProblem[] = [];
      const cfg = parseGeneratorConfig({
        seed: 3, output: { directory: dir, prefix: 'g' }, traces: { count: 30 },
        metrics: { metric_count: 20, timeseries_per_metric: { min: 1, max: 3, default: 2 } }, logs: { count: 100, correlate: true },
      }, join(dir, 'gen.yaml'), problems);
      expect(problems).toEqual([]);
      await writeDataset(cfg, { outDir: dir, json: false, threads: 1 });
      const actions: AttributeAction[] = [
        { key: 'service.name', action: 'update', value: 'renamed' }, { key: 'http.route', action: 'delete' },
        { key: 'host.name', action: 'upsert', value: 'h' }, { key: 'replay.cardinality', action: 'upsert', value: 'tenant-0000' },
      ];
      for (const signal of SIGNAL_NAMES) {
        const bytes = readFileSync(join(dir, `g-${signal}.pb`));
        for (const scope of SCOPES) expect(decode(signal, rewriteAttributes(signal, bytes, scope, actions))).toEqual(expected(signal, bytes, scope, actions));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on malformed input', () => {
    const bytes = encode('traces', attributeRequest('traces'));
    const upsert: AttributeAction[] = [{ key: 'a', action: 'upsert', value: 'v' }];

    it('throws a WireError at the byte where a truncated request ends', () => {
      for (const scope of SCOPES) {
        const err = catchError(() => rewriteAttributes('traces', bytes.subarray(0, 3), scope, upsert));
        expect(err).toBeInstanceOf(WireError);
        expect((err as WireError).offset).toBe(1); // the length prefix of the first resource entry
      }
    });

    it('throws a WireError at a container field that is not length-delimited', () => {
      const bad = Uint8Array.from([0x0a, 0x02, 0x10, 0x01]); // ResourceSpans.scope_spans (2) as a varint
      const err = catchError(() => rewriteAttributes('traces', bad, 'item', upsert));
      expect(err).toBeInstanceOf(WireError);
      expect((err as WireError).offset).toBe(2);
      expect((err as Error).message).toMatch(/field 2 has wire type 0/);
    });

    it('throws a WireError at an attributes field that is not length-delimited', () => {
      const bad = Uint8Array.from([0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01]); // Resource.attributes (1) as a varint
      const err = catchError(() => rewriteAttributes('logs', bad, 'resource', upsert));
      expect(err).toBeInstanceOf(WireError);
      expect((err as WireError).offset).toBe(4);
    });

    it('copies the fields off the way to the attributes without reading them', () => {
      const junk = [0xff, 0xff, 0xff]; // not a message: reading it would throw
      const span = [0x2a, 0x01, 0x6e, 0x5a, junk.length, ...junk]; // name 'n', events (11) = junk
      const bad = Uint8Array.from([0x0a, span.length + 4, 0x12, span.length + 2, 0x12, span.length, ...span]);
      const out = rewriteAttributes('traces', bad, 'item', upsert);
      expect(Buffer.from(out).subarray(6, 6 + span.length).equals(Buffer.from(span))).toBe(true);
      expect(out.length).toBe(bad.length + 10); // 4a 08, key 0a 01 'a', value 12 03 0a 01 'v'
      expect(() => rewriteAttributes('traces', bad, 'resource', upsert)).not.toThrow();
    });

    it('rejects actions without a usable key or value', () => {
      expect(() => rewriteAttributes('traces', bytes, 'item', [{ key: '', action: 'delete' }])).toThrow(RangeError);
      expect(() => rewriteAttributes('traces', bytes, 'item', [{ key: 'a', action: 'insert' }])).toThrow(/value must be/);
      expect(() => rewriteAttributes('traces', bytes, 'item', [{ key: 'a', action: 'hash' as 'delete' }])).toThrow(/unknown action/);
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
