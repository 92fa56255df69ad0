import { fieldLen, writeVarint } from '../otlp/wire/write.js';

/**
 * The actions of the Collector's attributes and resource processors, compiled once per
 * rewrite into what happens to each key: a key's fate depends only on the actions on that
 * key and on whether a message had it, so both cases are worked out up front and the
 * walk only looks them up.
 */
export interface AttributeAction {
  key: string;
  /**
   * The Collector's four, plus `suffix` (ours, for cardinality): a string value becomes
   * `old-<value>`; where the key is absent, or its value is not a string, it becomes `<value>`.
   */
  action: 'insert' | 'update' | 'upsert' | 'delete' | 'suffix';
  value?: string | number | boolean;
}

/**
 * What happens to a key in a message: kept as is, dropped, value replaced in place,
 * dropped and appended at the end, or (suffix) replaced by a value built from the old one.
 */
export const KEEP = 0, DROP = 1, REPLACE = 2, MOVE = 3, SUFFIX = 4;

export interface CompiledActions {
  /** The distinct keys, UTF-8. */
  keys: Uint8Array[];
  /** Per case c = 2 × key index + (1 if the message had the key): KEEP, DROP, REPLACE or MOVE. */
  outcome: Uint8Array;
  /** Per case: the KeyValue message to write for REPLACE and MOVE. */
  values: (Uint8Array | undefined)[];
  /** The MOVE cases, in the order their actions appended them. */
  appends: number[];
  /** Per key: the value of its suffix action, if it has one. */
  suffixes: (string | undefined)[];
}

const TWO63 = 2 ** 63;

export function compileActions(actions: readonly AttributeAction[]): CompiledActions {
  const names: string[] = [];
  for (const [i, a] of actions.entries()) {
    if (typeof a.key !== 'string' || a.key === '') throw new RangeError(`attribute action ${i}: key must be a non-empty string`);
    if (!['insert', 'update', 'upsert', 'delete', 'suffix'].includes(a.action)) throw new RangeError(`attribute action ${i}: unknown action ${String(a.action)}`);
    if (a.action === 'suffix' && (typeof a.value !== 'string' || actions.some((b, j) => j !== i && b.key === a.key))) {
      throw new RangeError(`attribute action ${i} (suffix ${a.key}): needs a string value and no other action on its key`);
    }
    if (a.action !== 'delete' && !['string', 'number', 'boolean'].includes(typeof a.value)) {
      throw new RangeError(`attribute action ${i} (${a.action} ${a.key}): value must be a string, number or boolean`);
    }
    if (!names.includes(a.key)) names.push(a.key);
  }
  const outcome = new Uint8Array(names.length * 2);
  const values: (Uint8Array | undefined)[] = [];
  const appended: [number, number][] = [];
  for (let c = 0; c < outcome.length; c++) {
    const key = names[c >>> 1]!;
    let present = (c & 1) === 1;
    let moved = false;
    let value: AttributeAction['value'];
    let at = -1;
    const suffix = actions.find((a) => a.key === key && a.action === 'suffix');
    if (suffix) {
      // present: the value depends on the old one (built during the walk); absent: appended as is
      outcome[c] = present ? SUFFIX : MOVE;
      values[c] = present ? undefined : keyValue(key, suffix.value!);
      if (!present) appended.push([actions.indexOf(suffix), c]);
      continue;
    }
    for (const [i, a] of actions.entries()) {
      if (a.key !== key) continue;
      if (a.action === 'delete') {
        present = false;
        moved = false;
        value = undefined;
      } else if (present) {
        if (a.action !== 'insert') value = a.value;
      } else if (a.action !== 'update') {
        present = moved = true;
        value = a.value;
        at = i;
      }
    }
    if (!present) outcome[c] = (c & 1) === 1 ? DROP : KEEP;
    else if (moved) outcome[c] = MOVE;
    else outcome[c] = value === undefined ? KEEP : REPLACE;
    values[c] = value === undefined || !present ? undefined : keyValue(key, value);
    if (outcome[c] === MOVE) appended.push([at, c]);
  }
  appended.sort((a, b) => a[0] - b[0]);
  const suffixes = names.map((k) => actions.find((a) => a.key === k && a.action === 'suffix')?.value as string | undefined);
  return { keys: names.map((k) => Buffer.from(k, 'utf8')), outcome, values, appends: appended.map(([, c]) => c), suffixes };
}

/** The repeated KeyValue field `tag` (raw, length-delimited) holding `kv`. */
export function encodeAttribute(tag: number, kv: Uint8Array): Uint8Array {
  const out = new Uint8Array(fieldLen(kv.length));
  out[0] = tag;
  out.set(kv, writeVarint(out, 1, kv.length));
  return out;
}

/** KeyValue{key = 1, value = 2: AnyValue{string_value 1 | bool_value 2 | int_value 3 | double_value 4}}. */
export function keyValue(key: string, value: string | number | boolean): Uint8Array {
  const k = Buffer.from(key, 'utf8');
  const any = anyValue(value);
  const out = new Uint8Array(fieldLen(k.length) + fieldLen(any.length));
  out[0] = 0x0a;
  let p = writeVarint(out, 1, k.length);
  out.set(k, p);
  p += k.length;
  out[p] = 0x12;
  p = writeVarint(out, p + 1, any.length);
  out.set(any, p);
  return out;
}

function anyValue(v: string | number | boolean): Uint8Array {
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const out = new Uint8Array(fieldLen(s.length));
    out[0] = 0x0a;
    out.set(s, writeVarint(out, 1, s.length));
    return out;
  }
  if (typeof v === 'boolean') return Uint8Array.of(0x10, v ? 1 : 0);
  if (Number.isInteger(v) && v >= -TWO63 && v < TWO63) {
    // int64 as a varint of its two's complement: a negative value takes 10 bytes
    let u = BigInt.asUintN(64, BigInt(v));
    const out = [0x18];
    while (u >= 0x80n) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return Uint8Array.from(out);
  }
  const out = new Uint8Array(9);
  out[0] = 0x21;
  new DataView(out.buffer).setFloat64(1, v, true);
  return out;
}
