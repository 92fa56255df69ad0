/** A growable uint32 list, frozen into an exact-length Uint32Array. */
export class U32List {
  private data = new Uint32Array(64);
  length = 0;

  push(a: number, b?: number, c?: number, d?: number): void {
    const n = d !== undefined ? 4 : c !== undefined ? 3 : b !== undefined ? 2 : 1;
    if (this.length + n > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = this.length;
    this.data[at] = a;
    if (n > 1) this.data[at + 1] = b!;
    if (n > 2) this.data[at + 2] = c!;
    if (n > 3) this.data[at + 3] = d!;
    this.length += n;
  }

  freeze(): Uint32Array {
    return this.data.slice(0, this.length);
  }

  /** Empties the list, keeping its capacity (a list filled per frame grows once, not per frame). */
  clear(): void {
    this.length = 0;
  }
}
