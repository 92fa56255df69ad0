/** The Dockerfile, checked by reading it: no Docker engine runs here to build it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

const text = readFileSync(join(packageRoot(), 'Dockerfile'), 'utf8');
const lines = text.split('\n').filter((l) => !l.startsWith('#'));

describe('Dockerfile', () => {
  it('builds and runs on one supported Node LTS line (22 or 24), not end-of-life 20', () => {
    const bases = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/)[1]);
    expect(bases).toHaveLength(2);
    for (const b of bases) expect(b).toMatch(/^node:(22|24)(-slim)?$/);
    expect(new Set(bases).size).toBe(1);
  });

  it('runs as its non-root user, which owns the one folder it writes and starts in it', () => {
    const user = lines.findIndex((l) => l.startsWith('USER '));
    expect(lines[user]).toBe('USER node');
    const chown = lines.findIndex((l) => /chown node:node \/var\/lib\/otel-replayd/.test(l));
    expect(chown).toBeGreaterThan(-1);
    expect(chown).toBeLessThan(user);
    expect(lines.filter((l) => l.startsWith('WORKDIR ')).at(-1)).toBe('WORKDIR /var/lib/otel-replayd');
    // The Kubernetes manifests mount their writable volume on the same folder.
    for (const f of ['job.yaml', 'statefulset.yaml']) {
      expect(readFileSync(join(packageRoot(), 'deploy', 'kubernetes', f), 'utf8')).toContain('mountPath: /var/lib/otel-replayd');
    }
  });
});
