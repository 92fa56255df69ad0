import type { Signal } from '../otlp/signals.js';
export interface TemplateData {
  signal: Signal;
  /** A decoded Export*ServiceRequest in protobufjs shape (camelCase keys, ids as Uint8Array,
   *  message objects as produced by Type.decode or Type.fromObject). */
  request: any;
  /** File name or generator name, for error messages. */
  source: string;
}
