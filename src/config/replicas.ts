/**
 * Which replica of a scaled-out run this process is: `service.replicas`, `--replica I/N`,
 * or what Kubernetes gives a pod. Every pipeline-wide rate is split over the replicas
 * (src/processors/rate-share.ts) and the index goes into the id derivation, so replicas
 * must agree on the count and each must know its own index.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConfigProblem } from '../errors.js';
import type { Env } from './env.js';
import type { Section } from './schema.js';
import type { ReplicaIdentity } from './types.js';

/** Replica indexes go into 16 bits of the id derivation key (src/stamp/id-derive.ts). */
export const MAX_REPLICAS = 65_536;

/** The replica count when neither the config nor --replica gives one (kept equal to the Job's completions or the StatefulSet's replicas). */
export const REPLICAS_ENV = 'OTEL_REPLAYD_REPLICAS';
/** A run id shared by every replica of one run (the manifests set it from the Job's uid). */
export const RUN_ID_ENV = 'OTEL_REPLAYD_RUN_ID';
/** Set by Kubernetes in every pod of an Indexed Job. */
export const JOB_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** `--replica I/N` as the daemon and `validate` take it. */
export interface ReplicaFlag {
  index: number;
  count: number;
}

/** One per process, so a reload keeps the run id when none is configured. */
const PROCESS_RUN_ID = randomUUID();

/** A pod's hostname is its name; a StatefulSet names its pods `<name>-<ordinal>`. */
const ORDINAL = /-(\d{1,5})$/;

/**
 * Reads `service.replicas` with its defaults: --replica, else the keys, else
 * $OTEL_REPLAYD_REPLICAS for the count and $JOB_COMPLETION_INDEX or the StatefulSet
 * ordinal at the end of the hostname for the index. The hostname is only read when the
 * count is above 1: a laptop called `web-2` running alone is replica 0 of 1.
 */
export function parseReplicas(s: Section, env: Env, flag: ReplicaFlag | undefined): ReplicaIdentity {
  const runId = s.string('run_id') ?? (env[RUN_ID_ENV] || PROCESS_RUN_ID);
  if (flag) return { ...flag, runId, from: '--replica' };
  const count = s.has('count')
    ? s.number('count', { integer: true, positive: true, max: MAX_REPLICAS }) ?? 1
    : fromEnv(env, REPLICAS_ENV, 1, MAX_REPLICAS, s.keyPath('count'), s.problems) ?? 1;
  let index: number | undefined;
  let from = 'service.replicas.index';
  if (s.has('index')) index = s.number('index', { integer: true, min: 0, max: MAX_REPLICAS - 1 });
  else if (env[JOB_INDEX_ENV]) {
    from = JOB_INDEX_ENV;
    index = fromEnv(env, JOB_INDEX_ENV, 0, MAX_REPLICAS - 1, s.keyPath('index'), s.problems);
  } else if (count > 1) {
    const host = env.HOSTNAME || hostname();
    const m = ORDINAL.exec(host);
    from = `the hostname "${host}"`;
    index = m ? Number(m[1]) : undefined;
    if (index === undefined) {
      s.problem('index', `is needed when the replica count is ${count}: set it, pass --replica I/N, or run as an Indexed Job pod (${JOB_INDEX_ENV}) or a StatefulSet pod (hostname ending in -ORDINAL, not "${host}")`);
    }
  } else {
    from = 'the default';
  }
  index ??= 0;
  if (index >= count) {
    const countFrom = s.has('count') ? 'service.replicas.count' : env[REPLICAS_ENV] ? REPLICAS_ENV : 'the default count';
    s.problem('index', `replica index ${index} (from ${from}) must be below the replica count ${count} (from ${countFrom})`);
    index = 0;
  }
  return { index, count, runId, from };
}

/** An integer environment variable in [min, max]; a bad value is a problem at `path` naming the variable. */
function fromEnv(env: Env, name: string, min: number, max: number, path: string, problems: ConfigProblem[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (/^\d+$/.test(raw.trim()) && n >= min && n <= max) return n;
  problems.push({ path, message: `$${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}` });
  return undefined;
}

/** `I/N` with 0 ≤ I < N ≤ MAX_REPLICAS; undefined when malformed. */
export function parseReplicaFlag(value: string): ReplicaFlag | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= MAX_REPLICAS && index < count ? { index, count } : undefined;
}
