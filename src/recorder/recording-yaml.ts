import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import type { RecordFile } from './record-file.js';
import { RECORDING_YAML } from '../receivers/recorded-pace.js';

/** Event counts as the metadata names them. */
export const COUNT_KEYS: Record<Signal, string> = { traces: 'spans', metrics: 'data_points', logs: 'log_records' };

/**
 * Upper bounds of the metadata's size, reserved from the disk budget as the recording
 * grows: a fixed part, one arrival offset per request (≤ 12 digits and a separator),
 * one line per service.
 */
export const YAML_BASE_BYTES = 4096;
export const YAML_BYTES_PER_REQUEST = 16;
export function yamlBytesPerService(name: string): number {
  // a quoted key may escape every character (\uXXXX: 6 bytes) and three counts follow
  return 6 * name.length + 128;
}

export interface RecordingMeta {
  tool: string;
  startedAt: number;
  endedAt: number;
  stoppedBy: string;
  maxSize: number;
  redact: { patterns: readonly string[]; blanked: number };
  files: RecordFile[];
  services: Map<string, Partial<Record<Signal, number>>>;
  /** Requests not recorded: refused (full, busy, signal not recorded, malformed). */
  refusedRequests: number;
}

/** The metadata as YAML: a readable header, then per signal the arrival offsets (one flow list per line, for size). */
export function recordingYaml(m: RecordingMeta): string {
  const seconds = (m.endedAt - m.startedAt) / 1000;
  const signals: Record<string, object> = {};
  for (const f of m.files) {
    signals[f.signal] = {
      file: f.requests > 0 ? f.name : null,
      requests: f.requests,
      [COUNT_KEYS[f.signal]]: f.events,
      [`${COUNT_KEYS[f.signal]}_per_second`]: seconds > 0 ? Math.round((f.events / seconds) * 10) / 10 : 0,
      bytes: f.diskBytes,
      uncompressed_bytes: f.rawBytes,
    };
  }
  const services = [...m.services.keys()].sort().map((name) => {
    const counts = m.services.get(name)!;
    return { name, ...Object.fromEntries(SIGNAL_NAMES.filter((s) => counts[s]).map((s) => [COUNT_KEYS[s], counts[s]])) };
  });
  const head = stringify({
    tool: m.tool,
    format: 'per signal: OTLP Export*ServiceRequest protobuf records, each after its length (4 bytes, big-endian) as the OpenTelemetry Collector file exporter writes them (format: proto), gzip-compressed',
    start: new Date(m.startedAt).toISOString(),
    end: new Date(m.endedAt).toISOString(),
    duration_seconds: seconds,
    stopped_by: m.stoppedBy,
    max_size: Number.isFinite(m.maxSize) ? m.maxSize : null,
    redact: { patterns: [...m.redact.patterns], blanked_values: m.redact.blanked },
    refused_requests: m.refusedRequests,
    signals,
    services,
  }, { lineWidth: 0 });
  const arrivals = m.files.filter((f) => f.requests > 0).map((f) => `  ${f.signal}: [${f.arrivalsMs.join(', ')}]\n`);
  return `# Written by otel-replayd record. Replay with the template receiver, e.g.\n#   receivers: { template/recording: { traces: traces.pb.gz } }\n${head}` +
    `# ms after start at which each request arrived, in file order\narrivals_ms:${arrivals.length ? `\n${arrivals.join('')}` : ' {}\n'}`;
}

/** Writes the metadata next to the files (temp file, then rename); returns its size. */
export async function writeRecordingYaml(dir: string, m: RecordingMeta): Promise<number> {
  const text = recordingYaml(m);
  const file = join(dir, RECORDING_YAML);
  await writeFile(`${file}.partial`, text, { flag: 'wx' });
  await rename(`${file}.partial`, file);
  return Buffer.byteLength(text);
}
