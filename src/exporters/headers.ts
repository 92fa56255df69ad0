import { HEADER_VALUE } from './exporter-config.js';
import { ConfigError, type ConfigProblem } from '../errors.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Validates configured headers once, at construction, and returns them with lower-case
 * names. Messages name the header, never its value: values are API keys.
 */
export function normalizeHeaders(headers: Record<string, string>, exporterId: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const path = `exporters.${exporterId}.headers.${name}`;
    if (!TOKEN.test(name)) problems.push({ path, message: 'not a valid header name' });
    else if (typeof value !== 'string' || !HEADER_VALUE.test(value)) problems.push({ path, message: 'value must be printable ASCII (value not shown)' });
    else out[name.toLowerCase()] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
