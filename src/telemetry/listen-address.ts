import { ConfigError } from '../errors.js';
import { parseHostPort } from '../host-port.js';

/**
 * Where /metrics and /healthz listen unless the config says otherwise. Not 8888: that is
 * the Collector's own metrics port, and a Collector sidecar in the same pod (one network
 * namespace) holds it. 8890 is none of the Collector's defaults (1777, 4317, 4318, 8888,
 * 8889, 13133, 55679), nor the SDKs' Prometheus exporter port (9464), nor in Istio's
 * (15000-15090) or Linkerd's (4140-4191) ranges.
 */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:8890';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or `:port` (which means loopback, not all interfaces:
 * exposing a port beyond the machine has to be asked for by writing `0.0.0.0`).
 */
export function parseListenAddress(address: string, keyPath: string): ListenAddress {
  const hp = parseHostPort(address);
  if (!hp || hp.port > 65535 || /\s/.test(hp.host)) {
    throw new ConfigError([{ path: keyPath, message: `"${address}" is not host:port (e.g. 127.0.0.1:8890 or 0.0.0.0:8890)` }]);
  }
  return { host: hp.host || '127.0.0.1', port: hp.port };
}
