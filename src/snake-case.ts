/**
 * Every document and log line otel-replayd writes for people and scripts uses snake_case
 * keys (`sent_spans`, `duration_s`); TypeScript objects use camelCase. This converts one
 * to the other at the boundary, keys only, deeply, and says so in the type.
 */

type SnakeKey<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeKey<Tail>}`
  : S;

export type SnakeCased<T> = T extends readonly (infer U)[]
  ? SnakeCased<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeKey<K> : K]: SnakeCased<T[K]> }
    : T;

export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function snakeCased<T>(value: T): SnakeCased<T> {
  if (Array.isArray(value)) return value.map(snakeCased) as SnakeCased<T>;
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value as SnakeCased<T>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[snakeKey(k)] = snakeCased(v);
  return out as SnakeCased<T>;
}
