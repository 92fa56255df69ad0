import type { Signal } from '../otlp/signals.js';
import { splitSec } from '../otlp/wire/nanos.js';
import { type EncodedFrame, TIME_STRIDE } from './frame.js';
import { U32List } from '../otlp/wire/u32-list.js';
import { isZeroId } from '../otlp/wire/id-table.js';
import { SITE_TRACE_ID } from '../otlp/wire/fields.js';
import { jsonDigitSites } from './attribute-sites.js';
import type { DigitField } from './plan.js';
import { wireToJson } from '../otlp/wire/json.js';
import { TWO32 } from '../otlp/wire/write.js';

/**
 * The OTLP/JSON encoding of a compiled proto frame, with its sites, written straight
 * from the frame bytes (wire-json.ts). Each JSON time is tied to its proto site by the
 * offset of the fixed64 it was read from, so it gets that site's unit and relative time
 * whatever order the JSON fields come in; each id gets the group its proto site was
 * given (found the same way), so copies of a trace keep their own groups.
 */
export function jsonFrame(signal: Signal, proto: EncodedFrame, opts: { idRegen: boolean; timestamps: boolean; digits?: readonly DigitField[] }): EncodedFrame {
  const { idRegen, timestamps } = opts;
  const digits = (opts.digits ?? []).map((f, i) => jsonDigitSites(proto.digits[i]!, f.width));
  const pt = proto.times;
  const pv = proto.values;
  const traceIds = new U32List(), spanIds = new U32List(), times = new U32List(), values = new U32List();
  const bytes = wireToJson(signal, proto.bytes, {
    fixedWidthTimes: timestamps,
    valueAt: pv.length === 0 ? undefined : (srcAt) => findSite(pv, srcAt, VALUE_STRIDE) >= 0,
    sites: {
      value(at, srcAt) {
        values.push(at, pv[findSite(pv, srcAt, VALUE_STRIDE) + 1]!);
      },
      id(kind, at, src, srcAt, len) {
        // ids were length-checked and grouped when the proto frame was written
        if (!idRegen || isZeroId(src, srcAt, len)) return;
        if (kind === SITE_TRACE_ID) traceIds.push(at, proto.traceIds[protoSite(proto.traceIds, srcAt, ID_STRIDE) + 1]!);
        else spanIds.push(at, proto.spanIds[protoSite(proto.spanIds, srcAt, ID_STRIDE) + 1]!);
      },
      time(at, srcAt) {
        if (!timestamps) return;
        const k = protoSite(pt, srcAt, TIME_STRIDE);
        const { sec, nsec } = splitSec(pt[k + 2]! + pt[k + 3]! * TWO32);
        times.push(at, pt[k + 1]!, nsec, sec);
      },
      // only with digit fields: every other string takes the writer's plain path
      string: digits.length === 0 ? undefined : (at, srcAt, len) => {
        for (const d of digits) d.sink.string(at, srcAt, len);
      },
    },
  });
  return { bytes, traceIds: traceIds.freeze(), spanIds: spanIds.freeze(), times: times.freeze(), digits: digits.map((d) => d.sites()), values: values.freeze() };
}

const ID_STRIDE = 2;
const VALUE_STRIDE = 2;

/** Index in `sites` (`stride` words per site) of the site at byte `at`: proto sites are in byte order. */
function protoSite(sites: Uint32Array, at: number, stride: number): number {
  const k = findSite(sites, at, stride);
  if (k < 0) throw new Error(`json-frame: no proto site at byte ${at}`);
  return k;
}

/** As protoSite, -1 when there is none. */
function findSite(sites: Uint32Array, at: number, stride: number): number {
  let a = 0, b = sites.length / stride - 1;
  while (a <= b) {
    const mid = (a + b) >>> 1;
    const v = sites[mid * stride]!;
    if (v === at) return mid * stride;
    if (v < at) a = mid + 1;
    else b = mid - 1;
  }
  return -1;
}
