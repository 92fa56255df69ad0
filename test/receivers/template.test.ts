import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/files.js';
import { TemplateError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { SIGNAL_NAMES, type Signal } from '../../src/otlp/signals.js';
import { loadTemplate } from '../../src/receivers/template.js';
import { decodeTemplate, type TemplateData } from '../../src/receivers/template-data.js';
import {
  ABSOLUTE_BASE,
  encodeTemplate,
  requestFor,
  spanId,
  spanTimes,
  traceId,
  tracesRequest,
  writeTemplate,
  writeTracesTemplate,
  type TemplateFormat,
} from '../helpers/templates.js';

/** Loaded templates are wire bytes: decode them to look at them as objects. */
const decoded = (d: TemplateData): any => decodeTemplate(d.signal, d.bytes!);

const { dir, file } = tempFiles('replayd-template-');
// Unique names for the templates written with writeTemplate.
let n = 0;

async function loadError(f: string, signal: Signal): Promise<TemplateError> {
  const err = await loadTemplate(f, signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TemplateError);
  return err as TemplateError;
}

function spans(request: any): any[] {
  return request.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
}

function points(request: any): any[] {
  return request.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics.flatMap((m: any) => m.sum.dataPoints)));
}

function logs(request: any): any[] {
  return request.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords));
}

const FORMATS: TemplateFormat[] = ['pb', 'json', 'jsonl'];

describe('TemplateData', () => {
  it('is plain data: loaded templates carry bytes, decoded only on request', async () => {
    const f = join(dir, 'plain.pb');
    writeFileSync(f, encodeTemplate('traces', tracesRequest({ traces: 1, spansPerTrace: 2 })));
    const data = await loadTemplate(f, 'traces');
    expect(Object.keys(data).sort()).toEqual(['bytes', 'signal', 'source']);
    expect(data.request).toBeUndefined();
    expect(spans(decodeTemplate('traces', data.bytes!)).map((s) => s.name)).toHaveLength(2);
  });
});

describe('loadTemplate round trip', () => {
  for (const signal of SIGNAL_NAMES) {
    for (const format of FORMATS) {
      for (const gzip of [false, true]) {
        for (const absolute of [false, true]) {
          it(`${signal} ${format}${gzip ? '.gz' : ''} ${absolute ? 'absolute' : 'relative'}`, async () => {
            const f = writeTemplate(dir, signal, requestFor(signal, absolute), { format, gzip, name: `${n++}-${signal}` });
            const data = await loadTemplate(f, signal);
            expect(data.signal).toBe(signal);
            expect(data.source).toBe(f);
            checkTimes(signal, decoded(data));
          });
        }
      }
    }
  }
});

/** requestFor's data has the same relative times whether written absolute or relative. */
function checkTimes(signal: Signal, request: any): void {
  if (signal === 'traces') {
    const got = spans(request);
    expect(got).toHaveLength(12);
    for (let t = 0; t < 3; t++) {
      for (let s = 0; s < 4; s++) {
        const span = got[t * 4 + s];
        const want = spanTimes(t, s);
        expect(Buffer.from(span.traceId).equals(traceId(t))).toBe(true);
        expect(Buffer.from(span.spanId).equals(spanId(t, s))).toBe(true);
        expect(span.parentSpanId.length).toBe(s === 0 ? 0 : 8);
        expect([span.startTimeUnixNano, span.endTimeUnixNano, span.events[0].timeUnixNano]).toEqual([
          Number(want.start),
          Number(want.end),
          Number(want.event),
        ]);
      }
    }
  } else if (signal === 'metrics') {
    const got = points(request);
    expect(got).toHaveLength(5);
    // Relative input keeps its values; absolute input is rebased on its earliest time (start = 1000).
    const base = typeof got[0].startTimeUnixNano === 'number' && got[0].startTimeUnixNano === 0 ? 1000 : 0;
    got.forEach((p, i) => {
      expect(p.startTimeUnixNano).toBe(1000 - base);
      expect(p.timeUnixNano).toBe(1_000_000_000 + i * 10_001 - base);
    });
    expect(got[0].exemplars[0].timeUnixNano).toBe(1_000_000_005 - base);
    expect(Buffer.from(got[0].exemplars[0].traceId).equals(traceId(0))).toBe(true);
  } else {
    const got = logs(request);
    expect(got).toHaveLength(6);
    const base = got[0].timeUnixNano === 0 ? 5 : 0;
    got.forEach((l, i) => {
      expect(l.timeUnixNano).toBe(5 + i * 1_000_001 - base);
      expect(l.observedTimeUnixNano).toBe(7 + i * 1_000_001 - base);
      expect(l.traceId.length).toBe(i % 2 === 0 ? 16 : 0);
    });
  }
}

describe('loadTemplate normalization through files', () => {
  it('rebases recorded traces per trace, exact to the nanosecond above 2^53', async () => {
    const f = writeTracesTemplate(dir, { traces: 4, spansPerTrace: 50, absolute: true, name: `${n++}-abs` });
    const got = spans(decoded(await loadTemplate(f, 'traces')));
    expect(got).toHaveLength(200);
    for (let i = 0; i < 200; i++) {
      const want = spanTimes(Math.floor(i / 50), i % 50);
      expect(got[i].startTimeUnixNano).toBe(Number(want.start));
      expect(got[i].endTimeUnixNano - got[i].startTimeUnixNano).toBe(Number(want.end - want.start));
    }
    // gaps between siblings survive (7 ns odd offsets prove no float rounding at 1.7e18)
    expect(got[2].startTimeUnixNano - got[1].startTimeUnixNano).toBe(1000);
  });

  it('rebases spans of one trace together even when they sit in different resources', async () => {
    const req = tracesRequest({ traces: 1, spansPerTrace: 2, absolute: true });
    const [a, b] = req.resourceSpans[0].scopeSpans[0].spans;
    const second = requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [] }] }] }) as any;
    second.resourceSpans[0].scopeSpans[0].spans.push(a);
    req.resourceSpans[0].scopeSpans[0].spans = [b];
    req.resourceSpans.push(second.resourceSpans[0]);
    const f = writeTemplate(dir, 'traces', req, { name: `${n++}-split` });
    const got = spans(decoded(await loadTemplate(f, 'traces')));
    expect(got.map((s) => s.startTimeUnixNano)).toEqual([1007, 0]);
  });

  it('merges JSON lines in .json, .jsonl and .ndjson files', async () => {
    const req = tracesRequest({ traces: 2, spansPerTrace: 2 });
    const json = JSON.parse(encodeTemplate('traces', req, 'json').toString());
    const line = (rs: unknown) => JSON.stringify({ resourceSpans: [rs] });
    const rs = json.resourceSpans[0];
    const first = { ...rs, scopeSpans: [{ spans: rs.scopeSpans[0].spans.slice(0, 1) }] };
    const rest = { ...rs, scopeSpans: [{ spans: rs.scopeSpans[0].spans.slice(1) }] };
    const text = `${line(first)}\n\n${line(rest)}\n`;
    for (const ext of ['json', 'jsonl', 'ndjson']) {
      const data = await loadTemplate(file(`lines.${ext}`, text), 'traces');
      expect(decoded(data).resourceSpans).toHaveLength(2);
      expect(spans(decoded(data)).map((s) => s.name)).toEqual(['op-0', 'op-1', 'op-0', 'op-1']);
    }
  });

  it('detects gzip by magic bytes without a .gz name', async () => {
    const f = file('traces.pb', gzipSync(encodeTemplate('traces', requestFor('traces'))));
    expect(spans(decoded(await loadTemplate(f, 'traces')))).toHaveLength(12);
  });

  it('loads JSON with an unknown extension by content', async () => {
    const f = file('traces.otlp', encodeTemplate('traces', requestFor('traces'), 'json'));
    expect(spans(decoded(await loadTemplate(f, 'traces')))).toHaveLength(12);
  });
});

describe('loadTemplate errors', () => {
  it('missing file', async () => {
    const err = await loadError(join(dir, 'nope.pb'), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_NOT_FOUND');
    expect(err.message).toContain('nope.pb');
  });

  it('empty file, empty request, request without events', async () => {
    expect((await loadError(file('empty.pb', ''), 'traces')).code).toBe('ERR_TEMPLATE_EMPTY');
    expect((await loadError(file('empty.json', '{}'), 'logs')).code).toBe('ERR_TEMPLATE_EMPTY');
    const noSpans = Buffer.from(requestType('traces').encode({ resourceSpans: [{ scopeSpans: [{}] }] }).finish());
    const err = await loadError(file('nospans.pb', noSpans), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_EMPTY');
    expect(err.message).toMatch(/nospans\.pb: holds no spans/);
  });

  it('truncated binary names the byte offset', async () => {
    const bytes = encodeTemplate('traces', requestFor('traces'));
    const err = await loadError(file('cut.pb', bytes.subarray(0, bytes.length - 5)), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_MALFORMED');
    expect(err.offset).toBeTypeOf('number');
    expect(err.message).toMatch(/cut\.pb at byte \d+: malformed protobuf/);
  });

  it('a huge length prefix reports where it is', async () => {
    const bytes = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const err = await loadError(file('huge.pb', bytes), 'traces');
    expect(err.offset).toBe(1);
    expect(err.message).toContain('runs past the end');
  });

  it('wrong wire type for a known field', async () => {
    // Span.start_time_unix_nano (7) as a varint instead of fixed64, inside request → rs → ss → span.
    const span = Buffer.from([0x38, 0x01]);
    const ss = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const rs = Buffer.concat([Buffer.from([0x12, ss.length]), ss]);
    const req = Buffer.concat([Buffer.from([0x0a, rs.length]), rs]);
    const err = await loadError(file('wt.pb', req), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_MALFORMED');
    expect(err.offset).toBe(6);
    expect(err.message).toContain('startTimeUnixNano (7) of Span has wire type 0, expected 1');
  });

  for (const [actual, loaded] of [
    ['metrics', 'traces'],
    ['logs', 'traces'],
    ['traces', 'metrics'],
    ['traces', 'logs'],
    ['logs', 'metrics'],
    ['metrics', 'logs'],
  ] as [Signal, Signal][]) {
    it(`${actual} file loaded as ${loaded} says so (pb and json)`, async () => {
      for (const format of ['pb', 'json'] as const) {
        const f = writeTemplate(dir, actual, requestFor(actual, true), { format, name: `${n++}-wrong` });
        const err = await loadError(f, loaded);
        expect(err.code).toBe('ERR_TEMPLATE_WRONG_SIGNAL');
        expect(err.message).toContain(`holds a ${actual} request`);
      }
    });
  }

  it('bad gzip', async () => {
    const gz = gzipSync(encodeTemplate('traces', requestFor('traces')));
    const err = await loadError(file('bad.pb.gz', gz.subarray(0, gz.length - 10)), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_GZIP');
    expect(err.message).toContain('bad.pb.gz');
    expect((await loadError(file('plain.pb.gz', 'not gzip'), 'traces')).code).toBe('ERR_TEMPLATE_GZIP');
  });

  it('ids of the wrong length and missing ids name the span', async () => {
    const req = tracesRequest({ traces: 1, spansPerTrace: 2 });
    req.resourceSpans[0].scopeSpans[0].spans[1].traceId = Buffer.alloc(5, 1);
    let err = await loadError(writeTemplate(dir, 'traces', req, { name: `${n++}-idlen` }), 'traces');
    expect(err.message).toContain('span "op-1" at resourceSpans[0].scopeSpans[0].spans[1]: traceId has 5 bytes, expected 16');
    req.resourceSpans[0].scopeSpans[0].spans[1].traceId = traceId(0);
    req.resourceSpans[0].scopeSpans[0].spans[0].spanId = Buffer.alloc(0);
    err = await loadError(writeTemplate(dir, 'traces', req, { name: `${n++}-noid` }), 'traces');
    expect(err.message).toContain('span "op-0" at resourceSpans[0].scopeSpans[0].spans[0]: spanId is missing');
  });

  it('bad JSON names the line', async () => {
    const good = JSON.stringify({ resourceSpans: [] });
    let err = await loadError(file('bad.jsonl', `${good}\n{"resourceSpans": [}\n`), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_JSON');
    expect(err.message).toMatch(/bad\.jsonl: line 2 column \d+: invalid JSON/);
    const bad = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: '0102030405060708' }] }] }] });
    err = await loadError(file('hex.jsonl', `${good}\n${good}\n${bad}\n`), 'traces');
    expect(err.message).toContain('line 3: resourceSpans[0].scopeSpans[0].spans[0].traceId: invalid hex id "zz"');
    err = await loadError(file('trunc.json', '{"resourceSpans": [{"scopeSpans": '), 'traces');
    expect(err.code).toBe('ERR_TEMPLATE_JSON');
    expect(err.message).toContain('trunc.json');
  });
});
