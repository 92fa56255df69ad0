import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ListenError } from '../src/errors.js';
import { formatHostPort, listen, parseHostPort } from '../src/host-port.js';

describe('host:port', () => {
  it('parses names, IPv4, bracketed IPv6 and an empty host', () => {
    expect(parseHostPort('localhost:4317')).toEqual({ host: 'localhost', port: 4317 });
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseHostPort(':8890')).toEqual({ host: '', port: 8890 });
  });

  it('leaves the port range to the caller, so messages can name it', () => {
    expect(parseHostPort('host:70000')).toEqual({ host: 'host', port: 70000 });
  });

  it.each(['8890', 'host', 'host:', 'http://host:80', '::1:80', 'host:123456'])('rejects %j', (bad) => {
    expect(parseHostPort(bad)).toBeUndefined();
  });

  it('brackets IPv6 hosts when formatting, and round-trips', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('127.0.0.1', 80)).toBe('127.0.0.1:80');
    expect(parseHostPort(formatHostPort('::1', 80))).toEqual({ host: '::1', port: 80 });
  });

  it('listen() resolves the bound port, and rejects with one line naming the setting when the port is taken', async () => {
    const as = { code: 'ERR_TEST_LISTEN', setting: 'some.key' };
    const a = createServer();
    const port = await listen(a, '127.0.0.1', 0, as);
    expect(port).toBeGreaterThan(0);
    const b = createServer();
    try {
      const err = await listen(b, '127.0.0.1', port, as).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListenError);
      expect(err).toMatchObject({ code: 'ERR_TEST_LISTEN', setting: 'some.key', address: `127.0.0.1:${port}`, message: `some.key 127.0.0.1:${port}: address already in use` });
    } finally {
      await new Promise((r) => a.close(r));
    }
  });
});
