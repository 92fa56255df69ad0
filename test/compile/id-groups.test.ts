/** Id groups of trace copies, through compile and the stamper (the only way they are used). */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { IdGroups } from '../../src/compile/id-groups.js';
import { requestType } from '../../src/otlp/proto.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data, hex, id } from './fixtures.js';

const spansOf = (r: any): any[] => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));

/** One trace of a root and a child (linking to trace 9's span), recorded `times` times in a row. */
function recordedTwice(times: number) {
  const spans = [];
  for (let c = 0; c < times; c++) {
    spans.push({ traceId: id(16, 1, 0), spanId: id(8, 2, 0), name: 'root', startTimeUnixNano: 1, endTimeUnixNano: 9 });
    spans.push({
      traceId: id(16, 1, 0), spanId: id(8, 2, 1), parentSpanId: id(8, 2, 0), name: 'child', startTimeUnixNano: 2, endTimeUnixNano: 3,
      links: [{ traceId: id(16, 1, 9), spanId: id(8, 2, 9) }],
    });
  }
  return data('traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

function stamped(encoding: 'proto' | 'json', times: number): any[] {
  const ct = compile([recordedTwice(times)], { idRegen: true, timestamps: true, encodings: [encoding] });
  const st = new Stamper(ct, { seed: [3, 4], worker: 0, backdateMs: 0 });
  st.beginCycle(0);
  st.newIds();
  const buf = Buffer.alloc(ct.maxFrameBytes);
  const body = Buffer.from(buf.subarray(0, st.stamp(0, encoding, buf)));
  if (encoding === 'proto') {
    return spansOf(requestType('traces').decode(body)).map((s) => ({
      trace: hex(s.traceId), span: hex(s.spanId), parent: hex(s.parentSpanId), link: s.links[0] ? hex(s.links[0].spanId) : '',
    }));
  }
  return spansOf(JSON.parse(body.toString())).map((s) => ({ trace: s.traceId, span: s.spanId, parent: s.parentSpanId ?? '', link: s.links?.[0]?.spanId ?? '' }));
}

describe('ids of repeated spans (trace copies) under id_regen', () => {
  it.each(['proto', 'json'] as const)('gives every copy of a trace its own trace and span ids, parents linked within the copy (%s)', (encoding) => {
    const spans = stamped(encoding, 3);
    expect(spans).toHaveLength(6);
    expect(new Set(spans.map((s) => s.trace)).size).toBe(3);
    expect(new Set(spans.map((s) => s.span)).size).toBe(6);
    for (let c = 0; c < 3; c++) {
      const [root, child] = [spans[2 * c], spans[2 * c + 1]];
      expect(child.trace).toBe(root.trace);
      expect(child.parent).toBe(root.span);
      // A link points at another trace: every copy links to the same (first) copy of it.
      expect(child.link).toBe(spans[1].link);
    }
  });

  it('gives stand-ins for later copies that are no id of the compile', () => {
    const groups = new IdGroups(2);
    const a = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), taken = Uint8Array.of(1, 0, 0, 0, 0x43, 0x4f, 0x50, 0x59);
    expect(groups.index(a, 0, 0)).toBe(0);
    expect(groups.index(taken, 0, 0)).toBe(1);
    expect(groups.index(a, 0, 1)).toBe(2);
    expect(groups.index(a, 0, 1)).toBe(2);
    expect(groups.index(a, 0, 2)).toBe(3);
    const words = groups.freeze();
    const ids = [0, 1, 2, 3].map((g) => `${words[2 * g]}:${words[2 * g + 1]}`);
    expect(ids.slice(0, 2)).toEqual(['1:0', `1:${0x59504f43}`]);
    expect(new Set(ids).size).toBe(4);
  });
});
