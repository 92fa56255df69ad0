/** The child-process helpers themselves: a test that forgets (or fails) to stop its daemon must not leak it. */
import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, tempDir, tracesConfig, writeConfig } from './daemon.js';

const runCli = cliKilledAfterEach();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cliKilledAfterEach', () => {
  let pid = 0;

  it('starts a daemon and leaves it running, as a failing test would', async () => {
    // Runs until stopped, sending to a closed port.
    const d = runCli(['--config', writeConfig(tempDir(), tracesConfig({ exporter: 'otlp_grpc: { endpoint: 127.0.0.1:1, tls: { insecure: true } }', rate: 100 }))]);
    await d.waitFor((l) => l.msg === 'otel-replayd starting');
    pid = d.child.pid!;
    expect(alive(pid)).toBe(true);
  });

  it('has killed that daemon before the next test starts', () => {
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});
