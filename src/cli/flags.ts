import { UsageError } from '../errors.js';

/** `--seed N` as every subcommand takes it: a non-negative integer that a double holds exactly. */
export function parseSeedFlag(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed)) throw new UsageError(`--seed must be a non-negative integer, got "${value}"`);
  return seed;
}
