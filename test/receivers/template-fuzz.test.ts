import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/errors.js';
import { SIGNAL_NAMES, type Signal } from '../../src/otlp/signals.js';
import { loadTemplate } from '../../src/receivers/template.js';
import { encodeTemplate, logsRequest, metricsRequest, tracesRequest } from '../helpers/templates.js';
import { decodeTemplate, type TemplateData } from '../../src/receivers/template-data.js';
import { mulberry32 } from '../../src/mulberry32.js';

/** CPU-bound (about 7 s alone): a machine shared with other suites can make it several times slower. */
const FUZZ_TIMEOUT_MS = 180_000;

/** Loaded templates are wire bytes: decode them to look at them as objects. */
const decoded = (d: TemplateData): any => decodeTemplate(d.signal, d.bytes!);

/**
 * Thousands of broken templates: each must load (with contract-valid times) or fail
 * with a TemplateError naming the file, and the byte offset for malformed binary.
 * Deterministic: a fixed seed, so a failure reproduces.
 */

const dir = mkdtempSync(join(tmpdir(), 'replayd-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const small: Record<Signal, () => any> = {
  traces: () => tracesRequest({ traces: 2, spansPerTrace: 2, absolute: true }),
  metrics: () => metricsRequest({ points: 2, absolute: true }),
  logs: () => logsRequest({ records: 2, absolute: true }),
};

interface Case {
  name: string;
  bytes: Uint8Array;
  signal: Signal;
}

function* cases(rand: () => number): Generator<Case> {
  const int = (n: number) => Math.floor(rand() * n);
  const HUGE = [
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    [0xff, 0xff, 0xff, 0xff, 0x0f],
    [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
  ];
  for (const signal of SIGNAL_NAMES) {
    const pb = encodeTemplate(signal, small[signal](), 'pb');
    const json = encodeTemplate(signal, small[signal](), 'json');
    const jsonl = encodeTemplate(signal, small[signal](), 'jsonl');
    for (let i = 0; i < pb.length; i++) yield { name: `${signal}-cut-${i}.pb`, bytes: pb.subarray(0, i), signal };
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(pb);
      for (let k = 1 + int(4); k > 0; k--) b[int(b.length)] = int(256);
      yield { name: `${signal}-flip-${i}.pb`, bytes: b, signal };
    }
    for (let i = 0; i < 150; i++) {
      const at = int(pb.length + 1);
      const huge = Buffer.from(HUGE[int(HUGE.length)]!);
      const b = Buffer.concat([pb.subarray(0, at), huge, pb.subarray(rand() < 0.5 ? at : Math.min(pb.length, at + 1 + int(3)))]);
      yield { name: `${signal}-varint-${i}.pb`, bytes: b, signal };
    }
    for (let i = 0; i < 200; i++) yield { name: `${signal}-jcut-${i}.json`, bytes: json.subarray(0, int(json.length)), signal };
    for (let i = 0; i < 150; i++) {
      const b = Buffer.from(rand() < 0.5 ? json : jsonl);
      for (let k = 1 + int(3); k > 0; k--) b[int(b.length)] = '{}[]",:0aZ-\n \\'.charCodeAt(int(14));
      yield { name: `${signal}-jflip-${i}.${rand() < 0.5 ? 'json' : 'jsonl'}`, bytes: b, signal };
    }
    for (let i = 0; i < 30; i++) {
      const g = gzipSync(pb);
      const b = rand() < 0.5 ? g.subarray(0, int(g.length)) : Buffer.from(g).fill(int(256), 10 + int(g.length - 10), 11 + int(g.length - 10));
      yield { name: `${signal}-gz-${i}.pb.gz`, bytes: b, signal };
    }
    for (const other of SIGNAL_NAMES) {
      if (other === signal) continue;
      yield { name: `${signal}-as-${other}.pb`, bytes: pb, signal: other };
      yield { name: `${signal}-as-${other}.json`, bytes: json, signal: other };
      yield { name: `${signal}-as-${other}.jsonl.gz`, bytes: gzipSync(jsonl), signal: other };
    }
    yield { name: `${signal}-empty.pb`, bytes: new Uint8Array(0), signal };
    yield { name: `${signal}-empty.json`, bytes: Buffer.from(' \n'), signal };
  }
  for (let i = 0; i < 400; i++) {
    const b = Buffer.alloc(1 + int(300));
    for (let k = 0; k < b.length; k++) b[k] = int(256);
    yield { name: `garbage-${i}.${['pb', 'json', 'bin'][i % 3]}`, bytes: b, signal: SIGNAL_NAMES[i % 3]! };
  }
}

/** Every time field a loaded template holds, for the contract check. */
function times(v: any, out: unknown[]): unknown[] {
  if (Array.isArray(v)) for (const x of v) times(x, out);
  else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'startTimeUnixNano' || k === 'endTimeUnixNano' || k === 'timeUnixNano' || k === 'observedTimeUnixNano') out.push(x);
      else times(x, out);
    }
  }
  return out;
}

describe('template fuzz', () => {
  it('every mutated input loads or fails with a TemplateError naming the file', async () => {
    const rand = mulberry32(0x5eed);
    const tally = { cases: 0, loaded: 0, errors: {} as Record<string, number> };
    let slowest = 0;
    for (const c of cases(rand)) {
      const file = join(dir, c.name);
      writeFileSync(file, c.bytes);
      const started = performance.now();
      try {
        const data = await loadTemplate(file, c.signal);
        tally.loaded++;
        for (const t of times(decoded(data), [])) {
          if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) throw new Error(`${c.name}: loaded with time ${String(t)}`);
        }
      } catch (err) {
        if (!(err instanceof TemplateError)) throw new Error(`${c.name}: not a TemplateError: ${String((err as Error)?.stack ?? err)}`);
        if (!err.message.startsWith(file)) throw new Error(`${c.name}: message does not name the file: ${err.message}`);
        if (/malformed protobuf/.test(err.message) && !(err.offset! >= 0 && err.offset! <= c.bytes.length)) {
          throw new Error(`${c.name}: binary error without a valid offset: ${err.message}`);
        }
        if (/\n/.test(err.message) || / at .*:\d+:\d+\)/.test(err.message)) throw new Error(`${c.name}: stack-like message: ${err.message}`);
        tally.errors[err.code] = (tally.errors[err.code] ?? 0) + 1;
      }
      slowest = Math.max(slowest, performance.now() - started);
      tally.cases++;
    }
    console.log(`template fuzz: ${tally.cases} cases, ${tally.loaded} loaded, errors ${JSON.stringify(tally.errors)}, slowest ${slowest.toFixed(1)} ms`);
    expect(tally.cases).toBeGreaterThan(3000);
    // A hang guard, not a speed check: every case is a few hundred bytes.
    expect(slowest).toBeLessThan(2000);
    for (const code of ['ERR_TEMPLATE_MALFORMED', 'ERR_TEMPLATE_JSON', 'ERR_TEMPLATE_WRONG_SIGNAL', 'ERR_TEMPLATE_EMPTY', 'ERR_TEMPLATE_GZIP']) {
      expect(tally.errors[code], code).toBeGreaterThan(0);
    }
  }, FUZZ_TIMEOUT_MS);
});
