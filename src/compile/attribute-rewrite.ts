// placeholder until helper-d lands
import type { Signal } from '../otlp/signals.js';
export type AttributeScope = 'resource' | 'item';
export interface AttributeAction { key: string; action: 'insert' | 'update' | 'upsert' | 'delete' | 'suffix'; value?: string | number | boolean }
export function rewriteAttributes(_signal: Signal, _bytes: Uint8Array, _scope: AttributeScope, _actions: readonly AttributeAction[]): Uint8Array {
  throw new Error('not implemented');
}
