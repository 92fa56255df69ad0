import { expect } from 'vitest';
import type { ConfigProblem } from '../../src/errors.js';
import { type GeneratorConfig, parseGeneratorConfig } from '../../src/generator/config.js';

/** A generator config from its YAML form; the test fails if the config has a problem. */
export function validConfig(raw: Record<string, unknown>): GeneratorConfig {
  const problems: ConfigProblem[] = [];
  const cfg = parseGeneratorConfig(raw, '', problems);
  expect(problems).toEqual([]);
  return cfg;
}
