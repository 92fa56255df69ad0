import type { AnyValue, KeyValue } from './otlp-values.js';
import { WireWriter } from './wire-writer.js';

/*
 * The protobuf field writers the generator's encoder (encode.ts) is made of: scalars
 * written only when present, and attribute lists with their caches.
 */

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

type Attrs = KeyValue[];

/**
 * Encoded key/value lists that recur (resource attributes, metric point attributes: the
 * generator shares those arrays), keyed by identity.
 */
const sharedAttrs = new WeakMap<Attrs, { field: number; bytes: Uint8Array }>();
/** `key` field bytes (tag, length, UTF-8) by key; keys are a small, fixed vocabulary. */
const keyBytes = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 10_000;
const scratch = new WireWriter(1 << 12);

export function writeAnyValue(w: WireWriter, v: AnyValue): void {
  if (v.stringValue !== undefined) {
    w.tag(1, WT_LEN);
    w.string(v.stringValue);
  } else if (v.boolValue !== undefined) {
    w.tag(2, WT_VARINT);
    w.varint(v.boolValue ? 1 : 0);
  } else if (v.intValue !== undefined) {
    w.tag(3, WT_VARINT);
    w.varint(v.intValue);
  } else if (v.doubleValue !== undefined) {
    w.tag(4, WT_I64);
    w.double(v.doubleValue);
  }
}

function writeKey(w: WireWriter, key: string): void {
  let b = keyBytes.get(key);
  if (!b) {
    scratch.reset();
    scratch.tag(1, WT_LEN);
    scratch.string(key);
    b = scratch.copy();
    if (keyBytes.size < KEY_CACHE_MAX) keyBytes.set(key, b);
  }
  w.raw(b);
}

/** Length-prefixed KeyValue bytes of key/values the generator reuses (see shareKeyValue). */
const sharedKv = new WeakMap<KeyValue, Uint8Array>();

/**
 * Marks `kv` as reused across many spans or records (custom attributes): its bytes are
 * encoded once, here, and copied wherever it appears. Returns `kv`.
 */
export function shareKeyValue(kv: KeyValue): KeyValue {
  const w = new WireWriter(64);
  writeAttrs(w, 1, [kv]);
  sharedKv.set(kv, w.copy(1));
  return kv;
}

/** Repeated KeyValue `field`. */
export function writeAttrs(w: WireWriter, field: number, list: Attrs): void {
  for (let i = 0; i < list.length; i++) {
    const kv = list[i]!;
    const pre = sharedKv.get(kv);
    if (pre) {
      w.tag(field, WT_LEN);
      w.raw(pre);
      continue;
    }
    const m = w.begin(field);
    writeKey(w, kv.key);
    const v = w.begin(2);
    writeAnyValue(w, kv.value);
    w.end(v);
    w.end(m);
  }
}

export function writeSharedAttrs(w: WireWriter, field: number, list: Attrs): void {
  const hit = sharedAttrs.get(list);
  if (hit && hit.field === field) {
    w.raw(hit.bytes);
    return;
  }
  const start = w.pos;
  writeAttrs(w, field, list);
  if (!hit) sharedAttrs.set(list, { field, bytes: w.copy(start) });
}

export function writeString(w: WireWriter, field: number, s: string | undefined): void {
  if (s === undefined) return;
  w.tag(field, WT_LEN);
  w.string(s);
}

export function writeBytes(w: WireWriter, field: number, b: Uint8Array | undefined): void {
  if (b === undefined) return;
  w.tag(field, WT_LEN);
  w.bytes(b);
}

export function writeFixed64(w: WireWriter, field: number, n: number | undefined): void {
  if (n === undefined) return;
  w.tag(field, WT_I64);
  w.fixed64(n);
}

export function writeDouble(w: WireWriter, field: number, d: number | undefined): void {
  if (d === undefined) return;
  w.tag(field, WT_I64);
  w.double(d);
}

export function writeVarint(w: WireWriter, field: number, n: number | undefined): void {
  if (n === undefined) return;
  w.tag(field, WT_VARINT);
  w.varint(n);
}
