/**
 * Which trace ids a traces pipeline has already sent, shared with the logs and metrics
 * pipelines replaying the same templates, so their trace_id/span_id (and exemplars') name
 * spans that exist.
 *
 * New ids are a keyed permutation of the original ids (id-derive.ts): knowing one key
 * under which a traces worker sent a whole cycle, a logs worker derives, for any original
 * id, the id that cycle sent. So the traces workers publish the key (seed, sender,
 * cycle) of each cycle they have finished handing to their exporters, in a few words of a
 * SharedArrayBuffer the supervisor keeps per receiver across reloads; a follower reads the
 * latest at the start of each of its cycles. This is independent of worker counts, rates
 * and pipeline incarnations: whatever the follower reads was sent, completely.
 */

/** A traces cycle that was sent completely: the key its ids were derived with. */
export interface SentCycle {
  seed: [number, number];
  /** senderWord(replica, worker) of the traces worker that sent it. */
  sender: number;
  cycle: number;
  /** false: the traces pipeline sends the original ids (no id_regen). */
  idRegen: boolean;
}

/** Word layout: a seqlock counter, a writer lock, then the cycle. */
const SEQ = 0, LOCK = 1, SEED0 = 2, SEED1 = 3, SENDER = 4, CYCLE = 5, FLAGS = 6;
const WORDS = 8;
const PRESENT = 1, ID_REGEN = 2;

export class SentTraces {
  private readonly w: Int32Array;

  /** Shared memory for one receiver's traces (structured-clone shares it with worker threads). */
  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(WORDS * 4);
  }

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength < WORDS * 4) throw new RangeError(`SentTraces: buffer of ${buffer.byteLength} bytes, need ${WORDS * 4}`);
    this.w = new Int32Array(buffer, 0, WORDS);
  }

  /** A traces worker has handed every frame of `c.cycle` to its exporters. */
  publish(c: SentCycle): void {
    const w = this.w;
    // Another traces worker publishing at this very moment has a cycle just as good: skip ours.
    if (Atomics.compareExchange(w, LOCK, 0, 1) !== 0) return;
    Atomics.add(w, SEQ, 1);
    Atomics.store(w, SEED0, c.seed[0] | 0);
    Atomics.store(w, SEED1, c.seed[1] | 0);
    Atomics.store(w, SENDER, c.sender | 0);
    Atomics.store(w, CYCLE, c.cycle | 0);
    Atomics.store(w, FLAGS, PRESENT | (c.idRegen ? ID_REGEN : 0));
    Atomics.add(w, SEQ, 1);
    Atomics.store(w, LOCK, 0);
  }

  /** The latest cycle sent completely, or undefined before the first. */
  latest(): SentCycle | undefined {
    const w = this.w;
    for (;;) {
      const seq = Atomics.load(w, SEQ);
      if (seq & 1) continue;
      const flags = Atomics.load(w, FLAGS);
      const c: SentCycle = {
        seed: [Atomics.load(w, SEED0) >>> 0, Atomics.load(w, SEED1) >>> 0],
        sender: Atomics.load(w, SENDER) >>> 0,
        cycle: Atomics.load(w, CYCLE) >>> 0,
        idRegen: (flags & ID_REGEN) !== 0,
      };
      if (Atomics.load(w, SEQ) !== seq) continue;
      return flags & PRESENT ? c : undefined;
    }
  }
}
