import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, tempDir } from '../helpers/daemon.js';

const runCli = cliKilledAfterEach();

/** The smallest run report a daemon of replica `replica` could have written. */
function report(dir: string, replica: string, sent: number, runId = 'run-1'): string {
  const file = join(dir, `${replica.replace('/', '-of-')}.json`);
  const at = '2026-12-01T10:00:00.000Z';
  writeFileSync(file, JSON.stringify({
    run_id: runId, replica, version: '0.1.0', started_at: at, updated_at: at, elapsed_s: 1, live: false, status: 'finished',
    interval_s: 1, epoch: 0, seq: 1, pipelines: [], sink: null, ended_at: at, stop_reason: 'duration reached', exit_code: 0,
    summary: [{ pipeline: 'logs', signal: 'logs', sent_logs: sent, failed: 0, dropped: 0, rate: sent, mb_per_s: 0, duration_s: 1 }],
    sink_summary: null, config: null,
  }));
  return file;
}

describe('otel-replayd report merge', () => {
  it('prints the totals and each replica, and warns about a replica with no report', async () => {
    const dir = tempDir();
    const r = runCli(['report', 'merge', report(dir, '0/3', 10), report(dir, '2/3', 30)]);
    expect(await r.exited, r.stderr()).toBe(0);
    const out = r.lines.map((l) => l.msg);
    expect(out[0]).toMatch(/^run run-1: 2 reports merged/);
    expect(out).toContain('  logs: sent_logs 40, failed 0, dropped 0, rate 40.0/s, 0.000 MB/s');
    expect(out.some((l) => l.startsWith('    replica 2/3: 30,'))).toBe(true);
    expect(r.stderr()).toContain('no report for replica 1: the totals are of the replicas given');
  });

  it('exits 2 naming the file when the reports are not replicas of one run, or a file is not a report', async () => {
    const dir = tempDir();
    const other = report(dir, '1/2', 5, 'run-2');
    const r = runCli(['report', 'merge', report(dir, '0/2', 5), other]);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain(`${other}: run_id "run-2" differs from "run-1"`);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '[1, 2');
    const bad = runCli(['report', 'merge', junk]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain(`${junk}: not JSON`);
  });

  it('exits 2 for an unknown subcommand or an output name without its extension', async () => {
    const dir = tempDir();
    const verb = runCli(['report', 'sum', 'a.json']);
    expect(await verb.exited).toBe(2);
    expect(verb.stderr()).toContain('unknown subcommand "sum"');
    const html = runCli(['report', 'merge', report(dir, '0/1', 1), '--html', join(dir, 'out.txt')]);
    expect(await html.exited).toBe(2);
    expect(html.stderr()).toContain('the name must end in .html');
  });
});
