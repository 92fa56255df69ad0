import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { RunData } from './run-data.js';
import { runPage } from './run-page.js';

/**
 * The run's data at exit plus what only the end of a run knows; `--report` writes it as
 * JSON or HTML. A capacity search's result and evidence are in its pipeline (`capacity`).
 */
export interface RunReport extends RunData {
  ended_at: string;
  stop_reason: string;
  exit_code: number;
  /** The summary line of each pipeline, as logged. */
  summary: Record<string, unknown>[];
  /** The sink extension's own report (what `extensions.sink.report` writes), when it ran. */
  sink_summary: unknown;
  /** The config file as written, header values, secret keys and ${env:...} values redacted. */
  config: { file: string; content: unknown } | null;
}

export type ReportFormat = 'html' | 'json';

/** The format a report file's extension asks for, or undefined if it names none. */
export function reportFormat(file: string): ReportFormat | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.html' || ext === '.htm' ? 'html' : undefined;
}

/** Writes each file through a temp file and a rename, so a reader never sees half a report. */
export async function writeRunReports(files: readonly string[], report: RunReport): Promise<void> {
  for (const file of files) {
    const body = reportFormat(file) === 'json' ? `${JSON.stringify(report, null, 2)}\n` : runPage(report);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }
}
