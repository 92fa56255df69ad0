import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../src/units.js';

describe('formatSize', () => {
  it.each([
    [0, '0 bytes'],
    [999, '999 bytes'],
    [1000, '1 kB'],
    [35_631, '35.6 kB'],
    [999_949, '1 MB'],
    [1_234_567, '1.23 MB'],
    [10e9, '10 GB'],
    [4.5e12, '4.5 TB'],
  ])('writes %d bytes as %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('uses the SI units parseSize reads, so a printed max_size reads back as itself', () => {
    for (const text of ['1 MB', '10 GB', '500 kB']) expect(formatSize(parseSize(text.replace(' ', ''))!)).toBe(text);
  });
});
