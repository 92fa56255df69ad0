import { loadConfig, type ConfigOverrides } from '../config/load.js';
import type { ReplaydConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Capacity } from '../service/capacity.js';
import { preflight } from '../service/preflight.js';

/** A config as a run starts it: loaded, and checked as `validate` checks it. */
export interface Checked {
  cfg: ReplaydConfig;
  capacity: Capacity;
}

/** The config, checked as `validate` checks it before pipelines start (TLS files, capacity); ConfigError otherwise. */
export function loadChecked(file: string, overrides: ConfigOverrides): Checked {
  return checkConfig(loadConfig(file, process.env, overrides));
}

/** What a run checks before pipelines start, beyond the config's own checks (TLS files, capacity); ConfigError otherwise. */
export function checkConfig(cfg: ReplaydConfig): Checked {
  const { problems, capacity } = preflight(cfg);
  if (problems.length > 0) throw new ConfigError(problems, cfg.file);
  return { cfg, capacity };
}

/** The capacity check's numbers, logged at every (re)load. */
export function logCapacity(log: Logger, c: Capacity): void {
  log.info({ worker_threads: c.threads, thread_limit: c.threadLimit, memory_estimate_mb: Math.round(c.memory / 1e6), memory_limit_mb: Math.round(c.memoryLimit / 1e6) }, 'capacity checked');
}
