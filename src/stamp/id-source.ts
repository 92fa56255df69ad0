import { deriveSpanIds, deriveTraceIds, idKeys } from './id-derive.js';
import type { SentCycle } from './sent-traces.js';

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * The new ids of one worker for the current cycle: one id per group (not per site),
 * derived from the original ids (see processors/id-regen.ts). Words are little-endian:
 * byte j of an id is (word[j >> 2] >>> 8·(j & 3)) & 0xff, for proto and JSON alike.
 */
export class IdSource {
  /** 4 words per trace group. */
  readonly trace: Uint32Array;
  /** 2 words per span group. */
  readonly span: Uint32Array;
  private traceHexCache: Uint8Array | undefined;
  private spanHexCache: Uint8Array | undefined;

  constructor(
    private readonly traceOrig: Uint32Array,
    private readonly spanOrig: Uint32Array,
    private readonly seed: readonly [number, number],
    private readonly worker: number,
  ) {
    this.trace = new Uint32Array(traceOrig.length);
    this.span = new Uint32Array(spanOrig.length);
  }

  cycle(cycle: number): void {
    this.derive(this.seed, this.worker, cycle);
  }

  /** The ids a traces worker sent in `sent` (its originals when it had no id_regen): logs and exemplars name its spans. */
  follow(sent: SentCycle): void {
    if (sent.idRegen) return this.derive(sent.seed, sent.sender, sent.cycle);
    this.trace.set(this.traceOrig);
    this.span.set(this.spanOrig);
    this.traceHexCache = undefined;
    this.spanHexCache = undefined;
  }

  private derive(seed: readonly [number, number], sender: number, cycle: number): void {
    const keys = idKeys(seed, sender, cycle);
    deriveTraceIds(keys.trace, this.traceOrig, this.trace);
    deriveSpanIds(keys.span, this.spanOrig, this.span);
    this.traceHexCache = undefined;
    this.spanHexCache = undefined;
  }

  /** Lowercase hex of every new trace id, 32 ASCII bytes per group (word index × 8). Built once per cycle, on demand. */
  traceHex(): Uint8Array {
    this.traceHexCache ??= toHex(this.trace);
    return this.traceHexCache;
  }

  /** Lowercase hex of every new span id, 16 ASCII bytes per group. */
  spanHex(): Uint8Array {
    this.spanHexCache ??= toHex(this.span);
    return this.spanHexCache;
  }
}

function toHex(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  for (let i = 0, o = 0; i < words.length; i++) {
    const w = words[i]!;
    for (let b = 0; b < 32; b += 8, o += 2) {
      const byte = (w >>> b) & 0xff;
      out[o] = HEX[byte >>> 4]!;
      out[o + 1] = HEX[byte & 15]!;
    }
  }
  return out;
}
