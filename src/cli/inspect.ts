import { parseArgs } from 'node:util';
import { ReplaydError } from '../errors.js';
import { inspectFile, type Inspection } from '../inspect/inspect.js';
import { isSignal, SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import { formatSize } from '../units.js';

const USAGE = `otel-replayd inspect — what a template or recording holds, and what would replay badly

Usage: otel-replayd inspect FILE... [--json] [--signal traces|metrics|logs]

  FILE          a template (.pb, OTLP/JSON, JSON lines) or a recording's <signal>.pb.gz;
                read as a stream, so a file of any size takes little memory
  --json        print a JSON array, one object per file
  --signal S    the signal the files hold (default: from the file name, else the content)

Reports requests, resources and services, events, traces and spans per trace,
trace durations, metric names and series, the time covered, bytes, and problems:
orphan parents, duplicate span ids, spans ending before they start, bad ids.
Exit codes: 0 read, 2 a file cannot be read or bad flags.
`;

export async function main(args: string[]): Promise<number> {
  let values: { json?: boolean; signal?: string; help?: boolean };
  let files: string[];
  try {
    ({ values, positionals: files } = parseArgs({ args, options: { json: { type: 'boolean' }, signal: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true }));
  } catch (err) {
    process.stderr.write(`otel-replayd inspect: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (files.length === 0 || (values.signal !== undefined && !isSignal(values.signal))) {
    process.stderr.write(`otel-replayd inspect: ${files.length === 0 ? 'give at least one FILE' : `--signal must be one of ${SIGNAL_NAMES.join(', ')}`}\n\n${USAGE}`);
    return 2;
  }
  const out: Inspection[] = [];
  let failed = false;
  for (const file of files) {
    try {
      const r = await inspectFile(file, values.signal as Signal | undefined);
      out.push(r);
      if (!values.json) process.stdout.write(`${text(r)}\n`);
    } catch (err) {
      if (!(err instanceof ReplaydError)) throw err;
      process.stderr.write(`otel-replayd inspect: ${err.message}\n`);
      failed = true;
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return failed ? 2 : 0;
}

function text(r: Inspection): string {
  const unit = SIGNALS[r.signal].unit;
  const rows: [string, string][] = [
    ['format', `${r.format === 'records' ? 'length-prefixed requests' : r.format === 'proto' ? 'one protobuf request' : r.format === 'jsonl' ? 'OTLP/JSON lines' : 'OTLP/JSON'}${r.gzip ? ', gzip' : ''}`],
    ['requests', String(r.requests)],
    ['bytes', `${formatSize(r.bytes.file)} on disk${r.gzip ? `, ${formatSize(r.bytes.uncompressed)} uncompressed` : ''}`],
    ['resources', `${r.resources}, ${r.services.length} service${r.services.length === 1 ? '' : 's'}: ${r.services.slice(0, 10).map((s) => `${s.name} (${s.events})`).join(', ')}${r.services.length > 10 ? ', …' : ''}`],
    [unit, String(r.events)],
  ];
  const f = r.figures as Record<string, any>;
  if (r.signal === 'traces') {
    rows.push(['traces', `${f.traces} (${f.rootSpans} root spans)`]);
    rows.push(['spans/trace', `p50 ${f.spansPerTrace.p50}, p99 ${f.spansPerTrace.p99}, max ${f.spansPerTrace.max}`]);
    rows.push(['trace time', `p50 ${ms(f.traceDurationMs.p50)}, p99 ${ms(f.traceDurationMs.p99)}, max ${ms(f.traceDurationMs.max)}`]);
  } else if (r.signal === 'metrics') {
    rows.push(['metrics', `${f.metricNames} names, ${f.series} series`]);
    for (const m of (f.metrics as { name: string; kind: string; points: number; series: number }[]).slice(0, 20)) rows.push(['', `${m.name} (${m.kind}): ${m.points} points, ${m.series} series`]);
    if (f.metricNames > 20) rows.push(['', `… ${f.metricNames - 20} more (see --json)`]);
  } else {
    rows.push(['traced', `${f.withTraceContext} with a trace context`]);
  }
  const t = r.time;
  rows.push(['time', t ? (t.relative ? `offsets over ${t.seconds.toFixed(3)}s (relative times)` : `${t.first} → ${t.last} (${t.seconds.toFixed(3)}s)`) : 'none set']);
  const problems = Object.entries(r.problems).filter(([, n]) => n > 0);
  rows.push(['problems', problems.length ? problems.map(([k, n]) => `${n} ${words(k)}`).join(', ') : 'none']);
  return `${r.file}: ${r.signal} (read in ${r.seconds.toFixed(2)}s)\n${rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`).join('\n')}`;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n.toFixed(n < 10 ? 3 : 1)}ms`;
}

/** `orphanParents` → `orphan parents`. */
function words(key: string): string {
  return key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}
