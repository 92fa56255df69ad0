/** The receiver registry: adding a receiver is one module and one line here. */
import { Registry } from '../config/component.js';
import { generatorReceiver } from './generator-receiver.js';
import type { ReceiverFactory } from './receiver.js';
import { templateReceiver } from './template-receiver.js';

export const RECEIVERS = new Registry<ReceiverFactory>('receiver', [templateReceiver, generatorReceiver]);
