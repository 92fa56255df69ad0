import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/errors.js';
import { SIGNAL_NAMES, type Signal } from '../../src/otlp/signals.js';
import { type JsonSiteSink, wireToJson } from '../../src/otlp/wire/json.js';
import { type AttributeScope, rewriteAttributes } from '../../src/compile/attribute-rewrite.js';
import { findDigitSites, jsonDigitSites } from '../../src/compile/attribute-sites.js';
import { attributeRequest, decode, encode, holders, s } from './attribute-requests.js';

const KEY = 'tenant.id';
const W = 4;
const PLACEHOLDER = 'tenant-0000';
/** A value that holds the key and digits but is not the key's value: a byte search would find it. */
const DECOY = `\n\t${KEY}\x12\x0d\n\x0b${PLACEHOLDER}`;

/** The fixture request with a decoy attribute everywhere, then the placeholder upserted at `scope`. */
function withPlaceholder(signal: Signal, scope: AttributeScope): Uint8Array {
  const decoyed = rewriteAttributes(signal, encode(signal, attributeRequest(signal)), 'item', [{ key: 'decoy', action: 'insert', value: DECOY }]);
  const both = rewriteAttributes(signal, decoyed, 'resource', [{ key: 'decoy', action: 'insert', value: DECOY }]);
  return rewriteAttributes(signal, both, scope, [{ key: KEY, action: 'upsert', value: PLACEHOLDER }]);
}

const digitsOf = (i: number): string => String((i * 7919 + 13) % 10 ** W).padStart(W, '0');

function overwrite(bytes: Uint8Array, sites: Uint32Array): Buffer {
  const out = Buffer.from(bytes);
  sites.forEach((at, i) => out.write(digitsOf(i), at, 'latin1'));
  return out;
}

describe('findDigitSites', () => {
  for (const signal of SIGNAL_NAMES) {
    for (const scope of ['resource', 'item'] as AttributeScope[]) {
      it(`finds the digits of every ${scope} value of the key in ${signal}, and only those`, () => {
        const bytes = withPlaceholder(signal, scope);
        const sites = findDigitSites(signal, bytes, scope, KEY, W);
        const want = decode(signal, bytes);
        const targets = holders(signal, want, scope);
        expect(sites).toHaveLength(targets.length);
        expect(sites.length).toBeGreaterThanOrEqual(3);
        expect([...sites]).toEqual([...sites].sort((a, b) => a - b));
        targets.forEach((h, i) => (h.attributes.find((kv: any) => kv.key === KEY).value.stringValue = `tenant-${digitsOf(i)}`));
        expect(decode(signal, overwrite(bytes, sites))).toEqual(want);
      });
    }
  }

  it('reports every KeyValue of a duplicated key and skips values that are not strings', () => {
    const bytes = encode('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [
      { attributes: [s(KEY, 'a00'), s('x', '99'), s(KEY, 'b11')] },
      { attributes: [{ key: KEY, value: { intValue: '5' } }, { key: KEY }] },
      { attributes: [s(KEY, '22')] },
    ] }] }] });
    const sites = findDigitSites('logs', bytes, 'item', KEY, 2);
    expect([...sites].map((at) => Buffer.from(bytes.subarray(at, at + 2)).toString())).toEqual(['00', '11', '22']);
  });

  it('throws a TemplateError at a value that is shorter than the width or does not end in digits', () => {
    for (const value of ['123', 'ab12x', '1a34', '١٢٣٤']) {
      const bytes = encode('traces', { resourceSpans: [{ resource: { attributes: [s(KEY, value)] } }] });
      let err: unknown;
      try {
        findDigitSites('traces', bytes, 'resource', KEY, W);
      } catch (e) {
        err = e;
      }
      expect(err, value).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).message).toContain('does not end in 4 digits');
      expect((err as TemplateError).offset).toBe(bytes.indexOf(Buffer.from(value)));
    }
    expect(() => findDigitSites('traces', new Uint8Array(0), 'item', KEY, 0)).toThrow(RangeError);
  });

  it('maps each proto site to the JSON site of the same digits', () => {
    for (const signal of SIGNAL_NAMES) {
      for (const scope of ['resource', 'item'] as AttributeScope[]) {
        const bytes = withPlaceholder(signal, scope);
        const protoSites = findDigitSites(signal, bytes, scope, KEY, W);
        const digits = jsonDigitSites(protoSites, W);
        const ids: number[] = [];
        const sink: JsonSiteSink = { id: (_k, at) => ids.push(at), time: () => {}, ...digits.sink };
        const json = wireToJson(signal, bytes, { fixedWidthTimes: true, sites: sink });
        const sites = digits.sites();
        expect(sites).toHaveLength(protoSites.length);
        expect(ids.length).toBeGreaterThan(0); // the other sites still arrive
        // the same digits written into both encodings give the JSON of the changed proto bytes
        const jsonOut = overwrite(json, sites);
        expect(jsonOut.equals(wireToJson(signal, overwrite(bytes, protoSites), { fixedWidthTimes: true }))).toBe(true);
        expect(jsonOut.equals(json)).toBe(false);
      }
    }
  });

  it('maps sites of values with escaped and invalid UTF-8 bytes before the digits', () => {
    const raw = Buffer.concat([Buffer.from('"\\\n'), Buffer.from([0xff, 0xc3]), Buffer.from('é0000')]);
    // protobufjs cannot write invalid UTF-8: write a value of the same length, then swap the bytes in
    const bytes = Buffer.from(encode('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [s(KEY, 'x'.repeat(raw.length))] }] }] }] }));
    raw.copy(bytes, bytes.indexOf('x'.repeat(raw.length)));
    const protoSites = findDigitSites('logs', bytes, 'item', KEY, W);
    const digits = jsonDigitSites(protoSites, W);
    const json = wireToJson('logs', bytes, { sites: { id: () => {}, time: () => {}, ...digits.sink } });
    const [site] = digits.sites();
    const written = `"stringValue":${JSON.stringify(raw.toString('utf8'))}`;
    expect(written).toContain('\\"\\\\\\n\ufffd\ufffdé0000"'); // escapes and replacement characters before the digits
    expect(json.toString('utf8').indexOf(written) + Buffer.byteLength(written)).toBe(site! + W + 1);
  });

  it('says so when a proto site was not written as JSON', () => {
    const bytes = withPlaceholder('traces', 'item');
    const protoSites = findDigitSites('traces', bytes, 'item', KEY, W);
    const digits = jsonDigitSites(Uint32Array.from([...protoSites, bytes.length + 5]), W);
    wireToJson('traces', bytes, { sites: { id: () => {}, time: () => {}, ...digits.sink } });
    expect(() => digits.sites()).toThrow(/of \d+ proto sites were written/);
  });
});
