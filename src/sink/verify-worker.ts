import { parentPort, workerData } from 'node:worker_threads';
import { Verifier, type VerifyOptions } from './verify.js';
import type { ToVerifier } from './verifier-thread.js';

/**
 * Entry point of the sink's verification thread: decodes and checks the request bodies
 * the sink counted, off the thread that serves them. Bodies arrive transferred and go
 * back the same way, so a pooled buffer can be reused.
 */
const verifier = new Verifier(workerData as VerifyOptions);
const port = parentPort!;

port.on('message', (msg: ToVerifier) => {
  if (msg.type === 'check') {
    verifier.checkBody(msg.signal, msg.encoding, new Uint8Array(msg.buffer, msg.offset, msg.length), msg.receivedAtMs);
    port.postMessage({ type: 'checked', id: msg.id, buffer: msg.buffer }, [msg.buffer]);
  } else {
    port.postMessage({ type: 'report', id: msg.id, report: verifier.report() });
  }
});
