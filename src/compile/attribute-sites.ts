import { TemplateError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import type { JsonSiteSink } from '../otlp/wire/json.js';
import { WireReader } from '../otlp/wire/reader.js';
import { U32List } from '../otlp/wire/u32-list.js';
import { type AttributeScope, attributeTree, checkAttrTag, keyIndex, kidOf, kv, type PathNode, readKeyValue, stringValue } from './attribute-paths.js';

/**
 * Fixed-width digit sites for the cardinality processor: it writes an attribute value
 * ending in `width` ASCII digits once (rewriteAttributes), and the stamper overwrites
 * those digits in every send. Sites are found by walking the wire structure, never by
 * searching for bytes: attribute values can hold anything, including the key itself.
 */

/**
 * Byte offsets, ascending, of the last `width` bytes of every string value of attribute
 * `key` at `scope` (the value decoders read: a KeyValue's last value, its last
 * string_value; values of other types are not sites). Throws a TemplateError if such a
 * value is shorter than `width` or does not end in `width` ASCII digits.
 */
export function findDigitSites(signal: Signal, bytes: Uint8Array, scope: AttributeScope, key: string, width: number): Uint32Array {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`digit site width must be a positive integer, not ${width}`);
  const finder = new SiteFinder(bytes, Buffer.from(key, 'utf8'), width);
  finder.container(attributeTree(signal, scope), new WireReader(bytes), bytes.length);
  return finder.sites.freeze();
}

class SiteFinder {
  readonly sites = new U32List();
  private readonly keys: Uint8Array[];

  constructor(private readonly src: Uint8Array, key: Uint8Array, private readonly width: number) {
    this.keys = [key];
  }

  container(n: PathNode, r: WireReader, end: number): void {
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag();
      const kid = kidOf(n, t, at);
      if (!kid) {
        r.skip(t & 7);
        continue;
      }
      const e = r.len();
      r.end = e;
      if (kid.attrTag) this.target(kid, r, e);
      else this.container(kid, r, e);
      r.end = end;
      r.pos = e;
    }
  }

  private target(n: PathNode, r: WireReader, end: number): void {
    const { src, width } = this;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag();
      if (t !== n.attrTag) {
        checkAttrTag(n, t, at);
        r.skip(t & 7);
        continue;
      }
      const e = r.len();
      readKeyValue(r, e);
      if (keyIndex(src, this.keys) === 0 && kv.valueStart >= 0) {
        const str = stringValue(r, kv.valueStart, kv.valueEnd);
        if (str) {
          const site = str[1] - width;
          if (site < str[0] || !digits(src, site, str[1])) {
            const text = Buffer.from(src.buffer, src.byteOffset + str[0], str[1] - str[0]).toString('utf8');
            throw new TemplateError(`attribute ${JSON.stringify(Buffer.from(this.keys[0]!).toString())} has the value ${JSON.stringify(text)}, which does not end in ${width} digits`, { offset: str[0] });
          }
          this.sites.push(site);
        }
      }
      r.end = end;
      r.pos = e;
    }
  }
}

function digits(buf: Uint8Array, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (buf[i]! < 0x30 || buf[i]! > 0x39) return false;
  return true;
}

/**
 * Maps proto digit sites to the JSON that wireToJson writes from the same bytes: pass
 * `sink` as (part of) its site sink, then `sites()` gives the JSON offsets of the same
 * digits, ascending. Digits are never escaped, so they are the last `width` bytes of
 * the JSON string too.
 */
export function jsonDigitSites(protoSites: Uint32Array, width: number): { sink: Required<Pick<JsonSiteSink, 'string'>>; sites(): Uint32Array } {
  const out = new U32List();
  return {
    sink: {
      string(at, srcAt, len) {
        if (len >= width && has(protoSites, srcAt + len - width)) out.push(at - width);
      },
    },
    sites() {
      if (out.length !== protoSites.length) throw new Error(`json digit sites: ${out.length} of ${protoSites.length} proto sites were written as JSON`);
      return out.freeze();
    },
  };
}

/** Binary search in an ascending list. */
function has(list: Uint32Array, v: number): boolean {
  let a = 0, b = list.length - 1;
  while (a <= b) {
    const mid = (a + b) >>> 1;
    const x = list[mid]!;
    if (x === v) return true;
    if (x < v) a = mid + 1;
    else b = mid - 1;
  }
  return false;
}
