/**
 * Signals that arrive while the daemon or the sink is still loading (modules, the config,
 * stdin) would meet Node's default action: exit 143 or 129 with no output at all. main.ts
 * holds them from its first line; a command takes them over once its own handlers are in.
 */

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

let held: NodeJS.Signals[] = [];

function hold(signal: NodeJS.Signals): void {
  held.push(signal);
  // A second stop signal means "now", as it does once running; nothing is in flight yet.
  if (held.length >= 2) {
    process.stderr.write(`otel-replayd: second ${signal} before start-up finished: exiting\n`);
    process.exit(130);
  }
}

/**
 * A SIGHUP before the pipelines run is dropped: the config being started is the one on
 * disk now, or was read moments ago.
 */
function ignore(): void {}

export function holdSignals(): void {
  for (const s of STOP_SIGNALS) process.on(s, hold);
  process.on('SIGHUP', ignore);
}

/** Stops holding and returns the stop signals held so far. Call after installing the command's own handlers. */
export function takeHeldSignals(): NodeJS.Signals[] {
  for (const s of STOP_SIGNALS) process.off(s, hold);
  process.off('SIGHUP', ignore);
  const out = held;
  held = [];
  return out;
}
