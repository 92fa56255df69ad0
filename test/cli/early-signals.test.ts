/** Holding stop signals during start-up, in a child process that signals itself. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtModule } from '../../src/package-root.js';

const entry = builtModule('cli/early-signals.js');

beforeAll(() => {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
});

/** Runs `body` in a fresh node with the module imported as `m`. */
function child(body: string): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const code = `const m = await import(${JSON.stringify(pathToFileURL(entry).href)});\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const turn = 'await new Promise((r) => setTimeout(r, 100));';

describe('holdSignals / takeHeldSignals', () => {
  it('keeps the process alive through a SIGTERM and a SIGHUP and hands the stop over', () => {
    const r = child(`m.holdSignals(); process.kill(process.pid, 'SIGTERM'); process.kill(process.pid, 'SIGHUP'); ${turn}
      console.log(JSON.stringify(m.takeHeldSignals()), process.listenerCount('SIGTERM'), process.listenerCount('SIGHUP'));`);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('["SIGTERM"] 0 0\n');
  });

  it('exits 130 at once on a second stop signal, saying why', () => {
    const r = child(`m.holdSignals(); process.kill(process.pid, 'SIGINT'); ${turn} process.kill(process.pid, 'SIGTERM'); ${turn} ${turn} console.log('still here');`);
    expect(r.status).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('otel-replayd: second SIGTERM before start-up finished: exiting\n');
  });

  it('without holding, a SIGTERM ends the process at once (what the daemon did before)', () => {
    const r = child(`process.kill(process.pid, 'SIGTERM'); ${turn} console.log('still here');`);
    expect(r.signal).toBe('SIGTERM');
    expect(r.stdout).toBe('');
  });
});
