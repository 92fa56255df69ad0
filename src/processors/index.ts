/** The processor registry: adding a processor is one module and one line here. */
import { Registry } from '../config/component.js';
import { attributesProcessor } from './attributes.js';
import { batchSplitterProcessor } from './batch-splitter.js';
import { cardinalityProcessor } from './cardinality.js';
import { deliveryProcessor } from './delivery.js';
import { idRegenProcessor } from './id-regen.js';
import { jitterProcessor } from './jitter.js';
import type { ProcessorFactory } from './processor.js';
import { ratelimitProcessor } from './ratelimit.js';
import { resourceProcessor } from './resource.js';
import { timestampProcessor } from './timestamp.js';

export const PROCESSORS = new Registry<ProcessorFactory>('processor', [
  idRegenProcessor,
  timestampProcessor,
  jitterProcessor,
  attributesProcessor,
  resourceProcessor,
  cardinalityProcessor,
  batchSplitterProcessor,
  deliveryProcessor,
  ratelimitProcessor,
]);
