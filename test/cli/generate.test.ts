import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/generate.js';

const root = mkdtempSync(join(tmpdir(), 'replayd-gen-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

function configFile(name: string, text: string): string {
  const f = join(root, name);
  writeFileSync(f, text);
  return f;
}

const GOOD = `
output: { directory: ./gen, prefix: t }
traces: { count: 20, services: { count: 3 } }
logs: { count: 100 }
`;

describe('otel-replayd generate', () => {
  it('writes files into output.directory relative to the config file', async () => {
    expect(await main(['--config', configFile('good.yaml', GOOD)])).toBe(0);
    expect(readdirSync(join(root, 'gen')).sort()).toEqual(['t-logs.pb', 't-metadata.yaml', 't-traces.pb']);
    expect(out).toMatch(/generated 20 traces \(\d+ spans, 3 services\), 0 data points, 100 log records with seed 1/);
  });

  it('--out, --seed and --json override the config', async () => {
    const dir = join(root, 'other');
    expect(await main(['--config', configFile('good2.yaml', GOOD), '--out', dir, '--seed', '9', '--json'])).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['t-logs.json', 't-logs.pb', 't-metadata.yaml', 't-traces.json', 't-traces.pb']);
    expect(readFileSync(join(dir, 't-metadata.yaml'), 'utf8')).toMatch(/^seed: 9$/m);
  });

  it('exits 2 with key paths on a bad config, without a stack trace', async () => {
    const f = configFile('bad.yaml', 'traces: { count: -3, spans: { avg_per_trace: x } }\nbogus: 1\n');
    expect(await main(['--config', f])).toBe(2);
    expect(err).toContain(`invalid config ${f}`);
    expect(err).toContain('traces.count: must be an integer');
    expect(err).toContain('traces.spans.avg_per_trace');
    expect(err).toContain('bogus: unknown key');
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on usage errors, unreadable files, bad YAML and an empty config', async () => {
    expect(await main([])).toBe(2);
    expect(err).toContain('--config FILE is required');
    expect(await main(['--config', join(root, 'missing.yaml')])).toBe(2);
    expect(err).toContain('cannot read: ENOENT');
    expect(await main(['--config', configFile('y.yaml', 'traces: [')])).toBe(2);
    expect(err).toContain('not valid YAML');
    expect(await main(['--config', configFile('e.yaml', 'seed: 3\n')])).toBe(2);
    expect(err).toContain('nothing to generate');
    expect(await main(['--config', configFile('s.yaml', GOOD), '--seed', 'abc'])).toBe(2);
    expect(err).toContain('--seed must be a non-negative integer');
    expect(await main(['--config', configFile('t.yaml', GOOD), '--threads', '0'])).toBe(2);
    expect(err).toContain('--threads must be an integer from 1 to 64, got "0"');
  });

  it('--threads 1 writes the same files as the default (worker threads)', async () => {
    const a = join(root, 'threads-default');
    const b = join(root, 'threads-1');
    expect(await main(['--config', configFile('t1.yaml', GOOD), '--out', a])).toBe(0);
    expect(await main(['--config', configFile('t2.yaml', GOOD), '--out', b, '--threads', '1'])).toBe(0);
    for (const f of readdirSync(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  });

  it('exits 2 when the dataset exceeds max_size, writing nothing', async () => {
    const dir = join(root, 'big');
    expect(await main(['--config', configFile('big.yaml', 'max_size: 1MB\ntraces: { count: 50000 }\n'), '--out', dir])).toBe(2);
    expect(err).toContain('above max_size');
    expect(() => readdirSync(dir)).toThrow();
  });

  it('exits 1 at once, naming the folder, when --out cannot be made', async () => {
    const t0 = performance.now();
    expect(await main(['--config', configFile('proc.yaml', GOOD), '--out', '/proc/replayd-nope'])).toBe(1);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err).toBe('otel-replayd generate: cannot create the output folder /proc/replayd-nope (ENOENT)\n');
  }, 10_000);

  it('prints usage for --help', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('Usage: otel-replayd generate');
  });
});
