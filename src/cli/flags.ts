import { MAX_REPLICAS, parseReplicaFlag, type ReplicaFlag } from '../config/replicas.js';
import { LOG_LEVELS } from '../config/service.js';
import { UsageError } from '../errors.js';

/** `--seed N` as every subcommand takes it: a non-negative integer that a double holds exactly. */
export function parseSeedFlag(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed)) throw new UsageError(`--seed must be a non-negative integer, got "${value}"`);
  return seed;
}

/** `--replica I/N` as `run` and `validate` take it. */
export function replicaFlagOf(value: string): ReplicaFlag {
  const flag = parseReplicaFlag(value);
  if (!flag) throw new UsageError(`--replica must be I/N with 0 <= I < N <= ${MAX_REPLICAS} (replica I of N, from 0), got "${value}"`);
  return flag;
}

/** Names the environment variable in --help texts and the README. */
export const LOG_LEVEL_ENV = 'OTEL_REPLAYD_LOG_LEVEL';

/**
 * The log level: `--log-level`, else $OTEL_REPLAYD_LOG_LEVEL, else `fallback` (the
 * config's service.telemetry.logs.level). A bad value is a usage error naming its source.
 */
export function logLevelOf(flag: string | undefined, env: NodeJS.ProcessEnv, fallback: string): string {
  // An empty variable counts as unset, as shells and compose files produce them.
  const [source, value] = flag !== undefined ? ['--log-level', flag] : [LOG_LEVEL_ENV, env[LOG_LEVEL_ENV] || undefined];
  if (value === undefined) return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new UsageError(`${source} must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value;
}
