/**
 * sfc32: a small, fast, seedable PRNG with 128 bits of state. Generated data must be
 * byte-identical for the same seed, so nothing in src/generator may call Math.random.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** `seed` may be any integer up to 2^53; `stream` separates independent sequences (worker, signal, cycle). */
  constructor(seed: number, stream = 0) {
    this.a = seed >>> 0;
    this.b = Math.floor(seed / 2 ** 32) >>> 0;
    this.c = (stream >>> 0) ^ 0x9e3779b9;
    this.d = 1;
    // sfc32 needs a few rounds before nearby seeds diverge.
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Index drawn with the given relative weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Normal(mean, sd) by Box–Muller; the second value is kept for the next call. */
  normal(mean: number, sd: number): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const u = 1 - this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median; `spread` is sigma of the underlying normal. Latencies look like this. */
  logNormal(median: number, spread: number): number {
    return median * Math.exp(this.normal(0, spread));
  }

  /** A random id of `len` bytes, never all zeros (OTLP treats all-zero ids as invalid). */
  id(len: 8 | 16): Uint8Array {
    const out = new Uint8Array(len);
    // Big-endian words, byte by byte: a DataView per id costs more than the id.
    let zero = false;
    for (let i = 0; i < len; i += 4) {
      const x = this.u32();
      if (i === 0) zero = x === 0;
      out[i] = x >>> 24;
      out[i + 1] = x >>> 16;
      out[i + 2] = x >>> 8;
      out[i + 3] = x;
    }
    if (zero) out[0] = 1;
    return out;
  }
}
