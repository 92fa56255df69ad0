import { expect } from 'vitest';
import { TemplateError } from '../../src/errors.js';

/** Runs `fn`, asserts it throws a TemplateError, and returns it for more checks. */
export function fails(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}
