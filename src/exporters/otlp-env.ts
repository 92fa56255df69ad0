/**
 * OTEL_EXPORTER_OTLP_* variables as the OpenTelemetry specification defines them
 * ("OTLP Exporter Configuration"), under an exporter block that names no endpoint.
 *
 * Precedence, per setting: the block's own key > OTEL_EXPORTER_OTLP_<SIGNAL>_<X> >
 * OTEL_EXPORTER_OTLP_<X> > the key's default. Headers merge by name in the same order.
 * A block that names an endpoint (endpoint or <signal>_endpoint) takes no variable at
 * all: the variables describe one endpoint, and its credentials must not reach another.
 *
 * The variables are laid over the block as if written in it, so the block's own checks
 * apply to them; a problem names the variable, never its value. Where the specification
 * lets an SDK warn and ignore a bad value, a value here that cannot be used is a config
 * problem: a load test should not run with a setting other than the one asked for.
 */
import { resolve } from 'node:path';
import { parseKeyValueList, type EnvReader } from '../config/env.js';
import { MAX_DURATION_MS, isMapping, joinPath, setOwn } from '../config/schema.js';
import type { ConfigProblem } from '../errors.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';

export type OtlpSetting =
  | 'ENDPOINT' | 'HEADERS' | 'PROTOCOL' | 'COMPRESSION' | 'TIMEOUT' | 'INSECURE' | 'CERTIFICATE' | 'CLIENT_KEY' | 'CLIENT_CERTIFICATE';

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Settings whose values may be credentials or name private files: hidden in every message. */
const SECRET: ReadonlySet<OtlpSetting> = new Set(['ENDPOINT', 'HEADERS', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE']);

/** `OTEL_EXPORTER_OTLP_ENDPOINT`, or with a signal `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
export function otlpVariable(setting: OtlpSetting, signal?: Signal): string {
  return `OTEL_EXPORTER_OTLP_${signal ? `${signal.toUpperCase()}_` : ''}${setting}`;
}

/** For messages: the variables that can give an endpoint for `signal`. */
export function endpointVariables(signal: Signal | undefined): string {
  return signal ? `${otlpVariable('ENDPOINT', signal)} or ${otlpVariable('ENDPOINT')}` : otlpVariable('ENDPOINT');
}

/** A setting for `signal`: its per-signal variable when set (not empty), else the generic one. */
export function otlpValue(env: EnvReader, setting: OtlpSetting, signal?: Signal): { name: string; value: string } | undefined {
  const names = signal ? [otlpVariable(setting, signal), otlpVariable(setting)] : [otlpVariable(setting)];
  for (const name of names) {
    const value = env.get(name, { secret: SECRET.has(setting) });
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** Whether a block takes the variables: only when it names no endpoint of its own. */
export function takesOtlpEnv(raw: unknown): boolean {
  if (raw === undefined || raw === null) return true;
  if (!isMapping(raw)) return false;
  return !['endpoint', ...SIGNAL_NAMES.map((s) => `${s}_endpoint`)].some((k) => raw[k] !== undefined && raw[k] !== null);
}

export interface Overlay {
  /** The block with the variables laid under its own keys. */
  raw: Record<string, unknown>;
  /** Key path in the block (`endpoint`, `tls.ca_file`, `headers.x-token`) → the variable its value came from. */
  origins: Map<string, string>;
  /** Every variable that gave a value, for `validate`. */
  used: string[];
}

/** The block as it reads for `signal` (undefined: only the generic variables) once the variables are laid under it. */
export function withOtlpEnv(
  type: 'otlp_grpc' | 'otlp_http', raw: unknown, env: EnvReader, signal: Signal | undefined, path: string, problems: ConfigProblem[],
): Overlay {
  const block: Record<string, unknown> = isMapping(raw) ? { ...raw } : {};
  // A tls value that is not a mapping is the parser's to report; the variables then leave TLS alone.
  const tls: Record<string, unknown> | undefined = block.tls === undefined || block.tls === null ? {} : isMapping(block.tls) ? { ...block.tls } : undefined;
  const origins = new Map<string, string>();
  const used = new Set<string>();
  const take = (setting: OtlpSetting): { name: string; value: string } | undefined => {
    const v = otlpValue(env, setting, signal);
    if (v) used.add(v.name);
    return v;
  };
  const set = (obj: Record<string, unknown>, key: string, at: string, value: unknown, name: string): void => {
    setOwn(obj, key, value);
    origins.set(at, name);
  };
  const bad = (key: string, name: string, message: string): void => void problems.push({ path: key ? joinPath(path, key) : path, message: `${name} ${message}` });
  const has = (obj: Record<string, unknown>, key: string): boolean => obj[key] !== undefined && obj[key] !== null;

  const endpoint = take('ENDPOINT');
  if (endpoint) {
    // OTLP/HTTP: the per-signal URL is used as is; the generic one is a base for /v1/<signal>.
    const key = type === 'otlp_http' && signal && endpoint.name === otlpVariable('ENDPOINT', signal) ? `${signal}_endpoint` : 'endpoint';
    set(block, key, key, endpoint.value, endpoint.name);
    // gRPC: an http or https scheme decides plaintext or TLS, over the insecure setting.
    const scheme = /^(https?):\/\//i.exec(endpoint.value)?.[1]?.toLowerCase();
    if (type === 'otlp_grpc' && scheme && tls && !has(tls, 'insecure')) set(tls, 'insecure', 'tls.insecure', scheme === 'http', endpoint.name);
    if (type === 'otlp_grpc' && scheme) env.hide(endpoint.value.slice(scheme.length + 3), endpoint.name);
  }
  const insecure = type === 'otlp_grpc' && tls && !has(tls, 'insecure') ? take('INSECURE') : undefined;
  if (insecure && tls) {
    // The specification's Boolean: only a case-insensitive "true" is true.
    const b = insecure.value.toLowerCase();
    if (b === 'true' || b === 'false') set(tls, 'insecure', 'tls.insecure', b === 'true', insecure.name);
    else bad('tls.insecure', insecure.name, 'must be true or false (value not shown)');
  }
  layHeaders(block, env, signal, origins, used, path, problems);
  // The exporter's type decides the transport (the file wins); for OTLP/HTTP the variable picks the encoding.
  const protocol = type === 'otlp_http' && !has(block, 'encoding') ? take('PROTOCOL') : undefined;
  if (protocol) {
    if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol.value)) bad('', protocol.name, `must be ${OTLP_PROTOCOLS.join(', ')} (value not shown)`);
    else if (protocol.value !== 'grpc') set(block, 'encoding', 'encoding', protocol.value === 'http/json' ? 'json' : 'proto', protocol.name);
  }
  const compression = has(block, 'compression') ? undefined : take('COMPRESSION');
  if (compression) {
    if (compression.value === 'gzip' || compression.value === 'none') set(block, 'compression', 'compression', compression.value, compression.name);
    else bad('compression', compression.name, 'must be gzip or none (value not shown)');
  }
  const timeout = has(block, 'timeout') ? undefined : take('TIMEOUT');
  if (timeout) {
    // Whole milliseconds; 0 means no limit, which Node timers cap at about 24.8 days.
    const ms = /^\d+$/.test(timeout.value.trim()) ? Number(timeout.value) : NaN;
    if (!(ms <= MAX_DURATION_MS)) bad('timeout', timeout.name, `must be a whole number of milliseconds up to ${MAX_DURATION_MS} (value not shown)`);
    else set(block, 'timeout', 'timeout', `${ms === 0 ? MAX_DURATION_MS : ms}ms`, timeout.name);
  }
  if (tls) {
    layTlsFiles(tls, take, set, env);
    if (Object.keys(tls).length > 0) block.tls = tls;
  }
  return { raw: block, origins, used: [...used] };
}

function layHeaders(
  block: Record<string, unknown>, env: EnvReader, signal: Signal | undefined, origins: Map<string, string>, used: Set<string>,
  path: string, problems: ConfigProblem[],
): void {
  if (block.headers !== undefined && block.headers !== null && !isMapping(block.headers)) return;
  const own = isMapping(block.headers) ? block.headers : {};
  const ownNames = new Set(Object.keys(own).map((n) => n.toLowerCase()));
  const merged = new Map<string, [name: string, value: string, variable: string]>();
  for (const name of signal ? [otlpVariable('HEADERS'), otlpVariable('HEADERS', signal)] : [otlpVariable('HEADERS')]) {
    const text = env.get(name, { secret: true });
    if (text === undefined) continue;
    used.add(name);
    const list = parseKeyValueList(text);
    if ('problem' in list) {
      problems.push({ path: joinPath(path, 'headers'), message: `${name}: ${list.problem}` });
      continue;
    }
    for (const [key, value] of list.pairs) {
      env.hide(value, name);
      merged.set(key.toLowerCase(), [key, value, name]);
    }
  }
  if (merged.size === 0) return;
  const headers: Record<string, unknown> = {};
  for (const [lower, [key, value, variable]] of merged) {
    if (ownNames.has(lower)) continue;
    setOwn(headers, key, value);
    origins.set(`headers.${key}`, variable);
  }
  for (const [k, v] of Object.entries(own)) setOwn(headers, k, v);
  block.headers = headers;
}

/** CA and client certificate files; relative paths resolve against the current folder, as any path in a variable does. */
function layTlsFiles(
  tls: Record<string, unknown>,
  take: (s: OtlpSetting) => { name: string; value: string } | undefined,
  set: (obj: Record<string, unknown>, key: string, at: string, value: unknown, name: string) => void,
  env: EnvReader,
): void {
  const given = (k: string): boolean => tls[k] !== undefined && tls[k] !== null;
  const file = (key: string, setting: OtlpSetting): void => {
    const v = take(setting);
    if (!v) return;
    const abs = resolve(v.value);
    env.hide(abs, v.name);
    set(tls, key, `tls.${key}`, abs, v.name);
  };
  if (!given('ca_file') && !given('ca_pem')) file('ca_file', 'CERTIFICATE');
  // A client certificate and its key come as a pair: from the block, or both from variables.
  if (!['cert_file', 'cert_pem', 'key_file', 'key_pem'].some(given)) {
    file('cert_file', 'CLIENT_CERTIFICATE');
    file('key_file', 'CLIENT_KEY');
  }
}

/**
 * Names the variable in each problem about a value that came from one, and drops quoted
 * text from it when the variable may hold a secret (a parser message may quote the value).
 */
export function scrubEnvProblems(problems: ConfigProblem[], origins: Map<string, string>, blockPath: string): ConfigProblem[] {
  return problems.map((p) => {
    let best: [string, string] | undefined;
    for (const [at, name] of origins) {
      const full = joinPath(blockPath, at);
      if ((p.path === full || p.path.startsWith(`${full}.`)) && (!best || at.length > best[0].length)) best = [at, name];
    }
    if (!best) return p;
    const name = best[1];
    const secret = [...SECRET].some((s) => name.endsWith(`_${s}`));
    const message = secret ? p.message.replace(/"[^"]*"/g, '"…"') : p.message;
    return { path: p.path, message: `${message} (from ${name})` };
  });
}
