import { parseArgs } from 'node:util';
import { ReplaydError } from '../errors.js';
import { mergeReports, readRunReport, type MergedReport } from '../telemetry/report-merge.js';
import { reportFormat, writeRunReports, type ReportFormat } from '../telemetry/run-report.js';
import { checkReportFile } from './report-files.js';

const USAGE = `otel-replayd report — work with run reports

Usage: otel-replayd report merge FILE.json... [--html OUT.html] [--json OUT.json]

  merge         sums the --report FILE.json of every replica of one scaled-out run
                (same run_id, each replica once) into one report: totals, rates over
                time on one clock, and a row per replica. Prints the totals.
  --html FILE   writes the merged report as one self-contained page (the run report's)
  --json FILE   writes the merged report as JSON (the shape of a run report, plus
                "replicas" and "missing_replicas")

Counts and rates are summed; latency percentiles are the highest replica's (percentiles
of separate histograms cannot be added, so they are an upper bound).
Exit codes: 0 merged (a missing replica is warned on stderr), 2 a file is not a run
report, the files are not replicas of one run, or bad flags.
`;

export async function main(args: string[]): Promise<number> {
  let values: { html?: string; json?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { html: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [verb, ...files] = positionals;
  if (verb !== 'merge') return usage(verb === undefined ? 'give a subcommand: merge' : `unknown subcommand "${verb}"`);
  if (files.length === 0) return usage('give the replicas\' report files (FILE.json...)');
  try {
    const outputs = [...(values.html ? [checkOutput('html', values.html)] : []), ...(values.json ? [checkOutput('json', values.json)] : [])];
    const merged = mergeReports(files, files.map(readRunReport));
    if (merged.missing_replicas.length > 0) {
      process.stderr.write(`otel-replayd report merge: warning: no report for replica${merged.missing_replicas.length > 1 ? 's' : ''} ${merged.missing_replicas.join(', ')}: the totals are of the replicas given\n`);
    }
    await writeRunReports(outputs, merged);
    process.stdout.write(text(merged));
    return 0;
  } catch (err) {
    if (!(err instanceof ReplaydError)) throw err;
    process.stderr.write(`otel-replayd report merge: ${err.message}\n`);
    return 2;
  }
}

function usage(problem: string): number {
  process.stderr.write(`otel-replayd report: ${problem}\n\n${USAGE}`);
  return 2;
}

/** `--html FILE` / `--json FILE`: the name must say the format its flag writes (run-report.ts writes by extension). */
function checkOutput(format: ReportFormat, file: string): string {
  if (reportFormat(file) !== format) throw new ReplaydError('ERR_USAGE', `--${format} ${file}: the name must end in .${format}`);
  return checkReportFile(file);
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const int = (n: unknown): string => (typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '-');

/** The totals per pipeline, then each replica's line: what a person checks first. */
function text(m: MergedReport): string {
  const lines = [`run ${m.run_id}: ${m.replicas.length} report${m.replicas.length === 1 ? '' : 's'} merged, ${fixed(m.elapsed_s, 1)} s from the first start to the last sample, exit ${m.exit_code}`];
  for (const s of m.summary) {
    const unit = Object.keys(s).find((k) => k.startsWith('sent_') && !k.includes('bytes') && k !== 'sent_requests')!;
    lines.push(`  ${String(s.pipeline)}: ${unit} ${int(s[unit])}, failed ${int(s.failed)}, dropped ${int(s.dropped)}, rate ${fixed(Number(s.rate), 1)}/s` +
      `${s.rate_target === null || s.rate_target === undefined ? '' : ` (target ${int(s.rate_target)})`}, ${fixed(Number(s.mb_per_s), 3)} MB/s`);
    for (const r of m.replicas) {
      const own = r.summary.find((x) => x.pipeline === s.pipeline);
      if (own) lines.push(`    replica ${r.replica ?? '-'}: ${int(own[unit])}, failed ${int(own.failed)}, rate ${fixed(Number(own.rate), 1)}/s over ${fixed(Number(own.duration_s), 1)} s (${r.file})`);
    }
  }
  return `${lines.join('\n')}\n`;
}
