/** `--report FILE.html|FILE.json` of the run command: checked at start, written at exit. */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { redactedConfig } from '../config/redact.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunRecorder } from '../telemetry/run-recorder.js';
import { reportFormat, writeRunReports, type RunReport } from '../telemetry/run-report.js';

/** A `--report` file, checked now so a long run does not lose its report at the end; absolute. */
export function checkReportFile(file: string): string {
  if (!reportFormat(file)) throw new UsageError(`--report ${file}: the name must end in .html or .json (the format)`);
  const abs = resolve(file);
  let dir = false;
  try {
    dir = statSync(dirname(abs)).isDirectory();
  } catch {
    /* reported below */
  }
  if (!dir) throw new UsageError(`--report ${file}: folder ${dirname(abs)} does not exist`);
  return abs;
}

/** What a run's end adds to the recorder's data. */
export interface RunEnd {
  stopReason: string;
  exitCode: number;
  summary: Record<string, unknown>[];
  sinkSummary: unknown;
}

export class ReportFiles {
  readonly files: readonly string[];
  /** The config as the report shows it; follows successful reloads. */
  #config: RunReport['config'] = null;

  constructor(files: readonly string[], configFile: string) {
    this.files = files;
    this.configLoaded(configFile);
  }

  /** Reads the config file the run (re)loaded, as the report shows it. */
  configLoaded(file: string): void {
    if (this.files.length === 0) return;
    try {
      this.#config = { file, content: redactedConfig(readFileSync(file, 'utf8')) };
    } catch {
      this.#config = null;
    }
  }

  /** Writes every file; a failure is logged, never thrown, so the daemon still exits with its own code. */
  async write(recorder: RunRecorder, end: RunEnd, log: Logger): Promise<void> {
    if (this.files.length === 0) return;
    const report: RunReport = {
      ...recorder.data(),
      ended_at: new Date().toISOString(),
      stop_reason: end.stopReason,
      exit_code: end.exitCode,
      summary: end.summary,
      sink_summary: end.sinkSummary,
      config: this.#config,
    };
    try {
      await writeRunReports(this.files, report);
      log.info({ files: this.files }, 'run report written');
    } catch (err) {
      log.error({ err, files: this.files }, 'run report could not be written');
    }
  }
}
