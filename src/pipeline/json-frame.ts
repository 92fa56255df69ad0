import { encodeOtlpJson } from '../otlp/json-encode.js';
import { requestType } from '../otlp/proto.js';
import type { Signal } from '../otlp/signals.js';
import { splitSec } from '../processors/timestamp.js';
import { type EncodedFrame, TIME_STRIDE, U32List } from './frame.js';
import type { IdTable } from './id-table.js';
import { TWO32, writeFixed64 } from './wire-write.js';

/**
 * The OTLP/JSON encoding of a compiled proto frame, with its sites. Built from the frame
 * bytes, one frame at a time: a copy whose time fields hold their site number (1, 2, …)
 * is decoded and written as JSON, and each JSON time maps back through that number to
 * the proto site's unit and relative time, whatever order the JSON writer uses.
 */
export function jsonFrame(signal: Signal, proto: EncodedFrame, opts: { idRegen: boolean; timestamps: boolean },
  traceGroups: IdTable, spanGroups: IdTable): EncodedFrame {
  const { idRegen, timestamps } = opts;
  const copy = Buffer.from(proto.bytes);
  const pt = proto.times;
  if (timestamps) for (let k = 0; k < pt.length; k += TIME_STRIDE) writeFixed64(copy, pt[k]!, k / TIME_STRIDE + 1);
  const sites: { at: number; time: number; id?: Uint8Array; trace?: boolean }[] = [];
  const text = encodeOtlpJson(signal, requestType(signal).decode(copy), {
    fixedWidthTimes: timestamps,
    onSite: (s) => {
      if (s.kind === 'time') {
        if (timestamps) sites.push({ at: s.offset, time: Number(s.value) - 1 });
      } else if (idRegen) {
        sites.push({ at: s.offset, time: -1, id: s.value as Uint8Array, trace: s.kind === 'traceId' });
      }
    },
  });
  const bytes = Buffer.from(text, 'utf8');
  const traceIds = new U32List(), spanIds = new U32List(), times = new U32List();
  // JSON sites come as character offsets; non-ASCII text is multi-byte
  let chars = 0, byteAt = 0;
  for (const s of sites) {
    byteAt += Buffer.byteLength(text.slice(chars, s.at));
    chars = s.at;
    if (s.time >= 0) {
      const k = s.time * TIME_STRIDE;
      const { sec, nsec } = splitSec(pt[k + 2]! + pt[k + 3]! * TWO32);
      times.push(byteAt, pt[k + 1]!, nsec, sec);
    } else if (!isZero(s.id!)) {
      // ids were length-checked and grouped when the proto frame was written
      if (s.trace) traceIds.push(byteAt, traceGroups.index(s.id!, 0) * 4);
      else spanIds.push(byteAt, spanGroups.index(s.id!, 0) * 2);
    }
  }
  return { bytes, traceIds: traceIds.freeze(), spanIds: spanIds.freeze(), times: times.freeze() };
}

function isZero(id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}
