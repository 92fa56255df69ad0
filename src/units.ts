/** Durations and sizes as users write them in configs and flags: `250ms`, `5m`, `4MiB`. */

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/**
 * Parses `1h30m`, `250ms`, `0`, or a number of seconds (YAML `30`; the string `"30"` has no
 * unit and is malformed); returns milliseconds or undefined if malformed.
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : undefined;
  if (typeof input !== 'string') return undefined;
  const s = input.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && matched > 0 ? total : undefined;
}

/** Parses `4MiB`, `512KB`, `1048576`; returns bytes or undefined if malformed. */
export function parseSize(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** The short form users write, for summaries: `250ms`, `1.5s`, `2m30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${Math.floor(ms / 60_000)}m${+((ms % 60_000) / 1000).toFixed(3)}s`;
}

/**
 * A byte count for people, in the SI units sizes are written in (`max_size: 10GB` is
 * 10^10 bytes): `512 bytes`, `35.6 kB`, `1.2 MB`, `10 GB`; three significant digits.
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let i = 0;
  // Rounding 999.95 kB up to "1000 kB" would hide that it is a megabyte.
  while (i < units.length - 1 && +value.toPrecision(3) >= 1000) {
    value /= 1000;
    i++;
  }
  return `${+value.toPrecision(3)} ${units[i]}`;
}
