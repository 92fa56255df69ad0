import type { ConfigProblem } from '../errors.js';

/** Placeholder until the generator lands: see docs/architecture.md. */
export interface GeneratorConfig {
  seed: number;
}

export function parseGeneratorConfig(raw: unknown, path: string, problems: ConfigProblem[]): GeneratorConfig {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null)) problems.push({ path, message: 'must be a mapping' });
  return { seed: 1 };
}
