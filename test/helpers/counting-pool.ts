import { SendBufferPool } from '../../src/worker/send-buffer-pool.js';

/** A send buffer pool that counts the buffers taken from it: none taken means every request was stamped where its frame lies. */
export class CountingPool extends SendBufferPool {
  taken = 0;

  override get(): Buffer {
    this.taken++;
    return super.get();
  }
}
