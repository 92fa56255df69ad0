/** The entry point (`otel-replayd ...`) as a real child process. */
import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach } from '../helpers/daemon.js';

const runCli = cliKilledAfterEach();

describe('otel-replayd --help', () => {
  it('documents -c, --config - and OTEL_REPLAYD_LOG_LEVEL, and points at run --help', async () => {
    const d = runCli(['--help']);
    expect(await d.exited).toBe(0);
    const help = d.lines.map((l) => l.msg).join('\n');
    expect(help).toContain('otel-replayd [run] --config FILE [--log-level LEVEL]');
    expect(help).toContain('see: run --help');
    expect(help).toContain('-c is short for --config; --config - reads the config from stdin');
    expect(help).toContain('$OTEL_REPLAYD_LOG_LEVEL');
  });

  it('exits 2 on an unknown command', async () => {
    const d = runCli(['frobnicate']);
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toMatch(/^otel-replayd: unknown command "frobnicate"\n/);
  });
});
