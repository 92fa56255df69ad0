import { ANY_VALUE, KEY_VALUE, LEN, RESOURCE, RESOURCE_ATTRIBUTES, tag } from './fields.js';
import { WireReader } from './reader.js';

const SERVICE_NAME = Buffer.from('service.name');

/**
 * The `service.name` string of a Resource* message (ResourceSpans, ResourceMetrics,
 * ResourceLogs) payload in [start, end), or undefined. Keys are compared as bytes, so
 * only the one matching value becomes a string.
 */
export function resourceServiceName(buf: Uint8Array, start: number, end: number): string | undefined {
  const r = new WireReader(buf, start, end);
  let name: string | undefined;
  while (!r.done()) {
    const t = r.tag();
    if (t !== tag(RESOURCE, LEN)) {
      r.skip(t & 7);
      continue;
    }
    const re = r.len();
    const a = new WireReader(buf, r.pos, re);
    r.pos = re;
    while (!a.done()) {
      const at = a.tag();
      if (at !== tag(RESOURCE_ATTRIBUTES, LEN)) {
        a.skip(at & 7);
        continue;
      }
      const [ks, ke] = a.bytes();
      const found = serviceValue(buf, ks, ke);
      if (found !== undefined) name = found;
    }
  }
  return name;
}

/** The string value of a KeyValue in [s, e) whose key is service.name. */
function serviceValue(buf: Uint8Array, s: number, e: number): string | undefined {
  const r = new WireReader(buf, s, e);
  let isService = false;
  let value: [number, number] | undefined;
  while (!r.done()) {
    const t = r.tag();
    if (t === tag(KEY_VALUE.key, LEN)) {
      const [ks, ke] = r.bytes();
      isService = ke - ks === SERVICE_NAME.length && SERVICE_NAME.equals(buf.subarray(ks, ke));
    } else if (t === tag(KEY_VALUE.value, LEN)) value = r.bytes();
    else r.skip(t & 7);
  }
  if (!isService || !value) return undefined;
  const v = new WireReader(buf, value[0], value[1]);
  let text: string | undefined;
  while (!v.done()) {
    const t = v.tag();
    if (t === tag(ANY_VALUE.string, LEN)) {
      const [ss, se] = v.bytes();
      text = Buffer.from(buf.buffer, buf.byteOffset + ss, se - ss).toString('utf8');
    } else v.skip(t & 7);
  }
  return text;
}
