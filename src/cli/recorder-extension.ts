import type { RecorderExtensionConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../package-root.js';
import { startRecorder, type Recorder } from '../recorder/recorder.js';
import { formatSize } from '../units.js';

/**
 * `extensions.recorder`: `otel-replayd record` inside the daemon, so a pipeline can send
 * to it (beside a sink, or instead). It writes its recording as soon as it ends by
 * itself (duration, size), else when the daemon stops.
 */
export class RecorderExtension {
  readonly #recorder: Recorder;
  readonly #log: Logger;
  #written: Promise<void> | undefined;

  private constructor(recorder: Recorder, log: Logger) {
    this.#recorder = recorder;
    this.#log = log;
    void recorder.ended.then(() => this.finish());
  }

  /** Starts it; a UsageError (an output folder that holds a recording) is the caller's to report. */
  static async start(cfg: RecorderExtensionConfig, log: Logger): Promise<RecorderExtension> {
    const recorder = await startRecorder({ ...cfg, tool: `otel-replayd ${packageVersion()}`, log });
    log.info({ grpc: recorder.grpcAddress, http: recorder.httpAddress, out: cfg.out }, 'recorder extension listening');
    return new RecorderExtension(recorder, log);
  }

  /** Stops receiving and writes the recording (once). */
  finish(): Promise<void> {
    return (this.#written ??= this.#recorder.finish('stopped').then(
      (s) => this.#log.info({ ...s, disk: formatSize(s.diskBytes) }, 'recorder extension wrote its recording'),
      (err: unknown) => this.#log.error({ err: (err as Error).message }, 'recorder extension could not write its recording'),
    ));
  }
}
