import { createServer } from 'node:net';
import { listen } from '../../src/host-port.js';

/** A loopback port that is free right now (for an endpoint that starts later). */
export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, '127.0.0.1', 0, { code: 'ERR_TEST_LISTEN', setting: 'freePort' });
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
