/** Address and URL checks shared by exporters, the sink and the metrics endpoint. */
import { parseHostPort } from '../host-port.js';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/**
 * `host:port` or `[v6]:port`; returns an error message, or undefined when valid.
 * Addresses we listen on may use port 0 (the OS picks one; tests rely on it).
 */
export function checkHostPort(s: string, opts: { listen?: boolean } = {}): string | undefined {
  const hp = parseHostPort(s);
  if (!hp) return `must be host:port (e.g. 127.0.0.1:4317), got ${JSON.stringify(s)}`;
  const { host, port } = hp;
  if (s.startsWith('[') ? !IPV6.test(host) || !host.includes(':') : !HOSTNAME.test(host)) return `has an invalid host ${JSON.stringify(host)}`;
  const min = opts.listen ? 0 : 1;
  if (port < min || port > 65535) return `has an invalid port ${port} (must be ${min}-65535)`;
  return undefined;
}

/**
 * gRPC targets: an http(s):// prefix is accepted (Collector configs carry it) and stripped;
 * `dns:///host:port` (the gRPC name syntax) is split too. `target` is undefined for a
 * dns: name with an authority (`dns://8.8.8.8/host:port`), which grpc-js cannot use.
 */
export function splitGrpcEndpoint(s: string): { scheme?: 'http' | 'https' | 'dns'; target: string | undefined } {
  const m = /^(https?):\/\/(.*?)\/?$/i.exec(s);
  if (m) return { scheme: m[1]!.toLowerCase() as 'http' | 'https', target: m[2]! };
  const dns = /^dns:(?:\/\/([^/]*)\/)?(.*)$/i.exec(s);
  if (dns) return { scheme: 'dns', target: dns[1] ? undefined : dns[2]! };
  return { target: s };
}

/** An absolute http(s) URL without credentials; returns an error message, or undefined when valid. */
export function checkHttpUrl(s: string): string | undefined {
  // `localhost:4318` parses as a URL with the scheme "localhost:"; say what is missing instead.
  if (!s.includes('://') && /^[^/?#\s]+:\d+(?:[/?#].*)?$/.test(s)) {
    return `needs http:// or https:// (e.g. ${JSON.stringify(`http://${s}`)}), got ${JSON.stringify(s)}`;
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return `must be an absolute http:// or https:// URL, got ${JSON.stringify(s)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http:// or https:// URL, got a ${url.protocol}// URL`;
  }
  // Credentials in a URL end up in logs and error messages; headers are never logged.
  if (url.username || url.password) return 'must not contain credentials; put them in headers';
  if (url.hash) return 'must not contain a #fragment';
  return undefined;
}

/**
 * The signal path written into a base `endpoint`, e.g. `http://host:4318/v1/traces`: OTLP/HTTP
 * appends `/v1/<signal>` to the base, so that would send to `/v1/traces/v1/traces`.
 */
export function signalPathIn(base: string): string | undefined {
  try {
    return /\/v1\/(?:traces|metrics|logs)\/*$/.exec(new URL(base).pathname)?.[0].replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
