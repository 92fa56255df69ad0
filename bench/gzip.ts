/**
 * gzip on the bench template, per level, on one core in this process: what zlib does per
 * request (ratio, speed) against stamped gzip (ratio, the load-time build, the per-send
 * stamp), and what the receiving side pays to inflate each (CPU per MB, inflated in one
 * chunk of the stated size as the sink does). The ratios are of stamped requests (fresh
 * ids and times, as sent), not of the template file. Times are this process's CPU time,
 * the best of 3 (the build: of 1), so a busy machine skews them less than wall time.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { compile } from '../src/compile/compile.js';
import { buildGzipImage, type GzipImage } from '../src/compile/gzip-image.js';
import { siteKeys } from '../src/compile/site-keys.js';
import type { Encoding } from '../src/otlp/signals.js';
import { loadTemplate } from '../src/receivers/template.js';
import { stampGzip } from '../src/stamp/gzip-stamp.js';
import { Stamper } from '../src/stamp/stamper.js';

export interface GzipLevelRow {
  level: number;
  /** gunzipMsPerMb: CPU ms to inflate 1 MB (1e6 bytes) of requests. */
  zlib: { ratio: number; mbPerSec: number; gunzipMsPerMb: number };
  stamped: { ratio: number; buildMbPerSec: number; stampMbPerSec: number; gunzipMsPerMb: number; refused: number };
}

export interface GzipLevels {
  encoding: Encoding;
  frames: number;
  mb: number;
  rows: GzipLevelRow[];
  /** The fastest level keeping ≥ 80 % of zlib level 6's ratio, for zlib and for stamped gzip. */
  defaults: { zlib: number; stamped: number };
}

/** MB (1e6) per second of `bytes` over `ms`. */
const mbps = (bytes: number, ms: number): number => bytes / ms / 1e3;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** f's result and the least CPU ms it took over `reps` runs. */
function timed<T>(f: () => T, reps = 3): [T, number] {
  let best = Infinity;
  let r: T;
  for (let i = 0; i < reps; i++) {
    const t = cpuMs();
    r = f();
    best = Math.min(best, cpuMs() - t);
  }
  return [r!, best];
}

/** Inflates as the sink does: one output chunk of the size the trailer states. */
const inflate = (z: Buffer): Buffer => gunzipSync(z, { chunkSize: Math.max(64, z.readUInt32LE(z.length - 4)) });

export async function runGzipLevels(file: string, encoding: Encoding = 'proto', levels = [1, 2, 3, 6, 9]): Promise<GzipLevels> {
  const ct = compile([await loadTemplate(file, 'traces')], {
    idRegen: true, timestamps: true, maxItems: 1e9, maxBytes: 3 * 1024 * 1024, encodings: [encoding],
  });
  const st = new Stamper(ct, { seed: [3, 5], worker: 0, backdateMs: 0, alignEnd: true });
  st.beginCycle(1);
  st.newIds();
  st.drawJitter(10);
  const buf = Buffer.alloc(ct.maxFrameBytes);
  const bodies = ct.frames.map((_, i) => Buffer.from(buf.subarray(0, st.stamp(i, encoding, buf))));
  const total = bodies.reduce((a, b) => a + b.length, 0);
  const rows: GzipLevelRow[] = [];
  for (const level of levels) {
    const [zipped, zMs] = timed(() => bodies.map((b) => gzipSync(b, { level })));
    const [, zunMs] = timed(() => zipped.forEach(inflate));
    const [images, buildMs] = timed(() => ct.frames.map((f) => buildGzipImage(f[encoding]!.bytes, siteKeys(ct, f[encoding]!, encoding), level)), 1);
    const out = Buffer.alloc(Math.max(...images.map((im: GzipImage) => im.bytes.length)));
    let refused = 0;
    const [members, stampMs] = timed(() => bodies.map((b, i) => {
      const n = stampGzip(images[i]!, b, out);
      if (n < 0) refused++;
      return Buffer.from(out.subarray(0, Math.max(0, n)));
    }));
    const [, sunMs] = timed(() => members.forEach((m) => m.length > 0 && inflate(m)));
    const size = (xs: Buffer[]) => xs.reduce((a, b) => a + b.length, 0);
    rows.push({
      level,
      zlib: { ratio: total / size(zipped), mbPerSec: mbps(total, zMs), gunzipMsPerMb: zunMs / (total / 1e6) },
      stamped: { ratio: total / size(members), buildMbPerSec: mbps(total, buildMs), stampMbPerSec: mbps(total, stampMs), gunzipMsPerMb: sunMs / (total / 1e6), refused },
    });
  }
  // Both against zlib's level 6 (gzip's default): what a user compares with.
  const six = rows.find((r) => r.level === 6)?.zlib.ratio ?? NaN;
  const fastest = (ratio: (r: GzipLevelRow) => number): number => rows.find((r) => ratio(r) >= 0.8 * six)?.level ?? NaN;
  return { encoding, frames: ct.frames.length, mb: total / 1e6, rows, defaults: { zlib: fastest((r) => r.zlib.ratio), stamped: fastest((r) => r.stamped.ratio) } };
}

export function formatGzipLevels(g: GzipLevels): string {
  const six = g.rows.find((r) => r.level === 6)!;
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(0)}%`;
  const lines = [
    `gzip per level, ${g.encoding}, ${g.frames} stamped requests (${g.mb.toFixed(1)} MB), one core, CPU time; % = of zlib level 6's ratio; inflate = CPU ms per MB to gunzip:`,
    '  level   zlib ratio   zlib MB/s  inflate | stamped ratio  build MB/s  stamp MB/s  inflate',
  ];
  for (const r of g.rows) {
    lines.push(
      `  ${String(r.level).padStart(5)}   ${r.zlib.ratio.toFixed(2).padStart(5)} ${pct(r.zlib.ratio, six.zlib.ratio).padStart(4)}   ${r.zlib.mbPerSec.toFixed(0).padStart(9)}  ${r.zlib.gunzipMsPerMb.toFixed(2).padStart(7)} |` +
        ` ${r.stamped.ratio.toFixed(2).padStart(8)} ${pct(r.stamped.ratio, six.zlib.ratio).padStart(4)}  ${r.stamped.buildMbPerSec.toFixed(0).padStart(10)}  ${r.stamped.stampMbPerSec.toFixed(0).padStart(10)}  ${r.stamped.gunzipMsPerMb.toFixed(2).padStart(7)}` +
        (r.stamped.refused > 0 ? `  (${r.stamped.refused} refused)` : ''),
    );
  }
  lines.push(`  fastest level keeping ≥ 80 % of zlib level 6's ratio: zlib ${g.defaults.zlib}, stamped ${g.defaults.stamped}`);
  return lines.join('\n');
}
