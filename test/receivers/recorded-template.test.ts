import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/files.js';
import { compile } from '../../src/compile/compile.js';
import { TemplateError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { recordPrefix } from '../../src/otlp/wire/records.js';
import { decodeTemplate } from '../../src/receivers/template-data.js';
import { loadTemplate } from '../../src/receivers/template.js';
import { encodeTemplate, tracesRequest } from '../helpers/templates.js';

const { dir, file } = tempFiles('replayd-recorded-');

/** The Collector file exporter's `proto` format: each request after its 4-byte big-endian length. */
function records(requests: Uint8Array[]): Buffer {
  return Buffer.concat(requests.flatMap((r) => [recordPrefix(r.length), r]));
}

/** The spans of a request split into requests of `sizes` spans each, one resource per request. */
function split(req: any, sizes: number[]): Uint8Array[] {
  const all = req.resourceSpans[0].scopeSpans[0].spans;
  let at = 0;
  return sizes.map((k) => {
    const part = { resourceSpans: [{ ...req.resourceSpans[0], scopeSpans: [{ ...req.resourceSpans[0].scopeSpans[0], spans: all.slice(at, (at += k)) }] }] };
    return requestType('traces').encode(part).finish();
  });
}

const names = (d: { bytes?: Buffer }) => decodeTemplate('traces', d.bytes!).resourceSpans.flatMap((rs: any) => rs.scopeSpans[0].spans.map((s: any) => s.name));

describe('templates recorded as many requests', () => {
  it('reads the Collector file exporter\'s length-prefixed protobuf, plain or gzipped, keeping each request', async () => {
    const req = tracesRequest({ traces: 3, spansPerTrace: 4, absolute: true });
    const parts = split(req, [5, 0, 7]);
    for (const f of [file('traces.pb', records(parts)), file('traces.pb.gz', gzipSync(records(parts))), file('traces.bin', gzipSync(records(parts)))]) {
      const data = await loadTemplate(f, 'traces');
      expect(data.requests).toEqual([1, 1, 1]);
      expect(names(data)).toEqual(names({ bytes: Buffer.from(encodeTemplate('traces', req)) }));
    }
  });

  it('sends each recorded request as one frame without batch_splitter, and packs them anew with it', async () => {
    const data = await loadTemplate(file('t.pb', records(split(tracesRequest({ traces: 3, spansPerTrace: 4 }), [5, 0, 7]))), 'traces');
    expect(compile([data], { idRegen: true, timestamps: true, encodings: ['proto'] }).frames.map((f) => f.events)).toEqual([5, 7]);
    expect(compile([data], { idRegen: true, timestamps: true, maxItems: 4, encodings: ['proto'] }).frames.map((f) => f.events)).toEqual([4, 4, 4]);
  });

  it('keeps a trace split across requests one trace: one time base, so its spans keep their places', async () => {
    // spans 0-1 of every trace in the first request, 2-3 in the second (recorded, absolute times)
    const req = tracesRequest({ traces: 2, spansPerTrace: 4, absolute: true });
    const all = req.resourceSpans[0].scopeSpans[0].spans;
    req.resourceSpans[0].scopeSpans[0].spans = [all[0], all[1], all[4], all[5], all[2], all[3], all[6], all[7]];
    const data = await loadTemplate(file('split.pb', records(split(req, [4, 4]))), 'traces');
    const spans = decodeTemplate('traces', data.bytes!).resourceSpans.flatMap((rs: any) => rs.scopeSpans[0].spans);
    const relStart = (i: number) => spans.find((s: any) => s.name === `op-${i}` && s.traceId[15] === 1).startTimeUnixNano;
    // rebased on the trace's first span: a later request's spans are not rebased on their own
    expect([0, 1, 2, 3].map(relStart)).toEqual([0, 1007, 2007, 3007]);
    const compiled = compile([data], { idRegen: true, timestamps: true, encodings: ['proto'] });
    expect(compiled.unitCount).toBe(2);
    expect(compiled.traceGroups.length / 4).toBe(2);
  });

  it('keeps a request per JSON line', async () => {
    const line = (k: number) => JSON.stringify(JSON.parse(encodeTemplate('traces', tracesRequest({ traces: k, spansPerTrace: 1 }), 'json').toString()));
    const data = await loadTemplate(file('lines.jsonl', `${line(2)}\n${line(1)}\n`), 'traces');
    expect(data.requests).toEqual([1, 1]);
    expect(compile([data], { idRegen: false, timestamps: true, encodings: ['proto'] }).frames.map((f) => f.events)).toEqual([2, 1]);
  });

  it('names the byte offset of a record that is cut short, and says what to do with zstd', async () => {
    const good = records(split(tracesRequest({ traces: 1, spansPerTrace: 2 }), [2]));
    const cut = file('cut.pb', Buffer.concat([good, recordPrefix(500), Buffer.alloc(10, 0x0a)]));
    await expect(loadTemplate(cut, 'traces')).rejects.toThrow(new RegExp(`byte ${good.length}: malformed length-prefixed requests: record of 500 bytes runs past the end`));
    const err = await loadTemplate(file('z.pb', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'traces').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(/zstd-compressed .*gzip it/);
  });
});
