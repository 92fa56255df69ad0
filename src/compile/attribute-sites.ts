// placeholder until helper-d lands
import type { Signal } from '../otlp/signals.js';
import type { AttributeScope } from './attribute-rewrite.js';
export function findDigitSites(_signal: Signal, _bytes: Uint8Array, _scope: AttributeScope, _key: string, _width: number): Uint32Array {
  throw new Error('not implemented');
}
