import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseListenAddress } from '../../src/telemetry/listen-address.js';

describe('parseListenAddress', () => {
  it('parses host:port, [v6]:port and :port (loopback)', () => {
    expect(parseListenAddress('0.0.0.0:8890', 'k')).toEqual({ host: '0.0.0.0', port: 8890 });
    expect(parseListenAddress('localhost:0', 'k')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListenAddress('[::1]:9464', 'k')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress(':8890', 'k')).toEqual({ host: '127.0.0.1', port: 8890 });
  });

  it.each(['8890', 'host', 'host:', 'host:70000', 'http://host:80', '::1:80', 'a b:80'])('rejects %j naming the key path', (bad) => {
    let err: unknown;
    try {
      parseListenAddress(bad, 'service.telemetry.metrics_address');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as ConfigError).message).toContain('service.telemetry.metrics_address');
    expect((err as ConfigError).message).toContain(bad);
  });

});
