import { readFile } from 'node:fs/promises';
import {
  Metadata, Server, ServerCredentials, status as GrpcStatus,
  type sendUnaryData, type ServerUnaryCall, type ServiceDefinition,
} from '@grpc/grpc-js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import { encodeStatus } from './faults.js';
import type { BadRequestError, Receiver } from './receiver.js';

export interface SinkTlsOptions {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCaFile?: string;
}

const MAX_MESSAGE = 64 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);
const identity = (b: Buffer): Buffer => b;

/** The three Export services with Buffer in and out: the sink counts bytes, it never decodes to serve. */
function serviceFor(signal: Signal): ServiceDefinition {
  return {
    Export: {
      path: SIGNALS[signal].grpcPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      // An empty Export*ServiceResponse encodes to zero bytes.
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

export interface GrpcSink {
  /** host:port actually bound. */
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(address: string, receiver: Receiver, opts: { tls?: SinkTlsOptions; log?: Logger }): Promise<GrpcSink> {
  const { host } = splitHostPort(address);
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  for (const signal of SIGNAL_NAMES) {
    server.addService(serviceFor(signal), { Export: handler(signal, receiver, opts.log) });
  }
  const creds = await credentials(opts.tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    address: joinHostPort(host, port),
    close: () => shutdown(server),
  };
}

function handler(signal: Signal, receiver: Receiver, log: Logger | undefined) {
  const faults = receiver.faults;
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const body = call.request;
    let reply: () => void;
    if (receiver.shouldFail(signal)) {
      const metadata = new Metadata();
      const message = `injected failure (${faults.failCode})`;
      if (faults.retryAfterMs !== undefined) {
        metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(faults.grpcCode, message, faults.retryAfterMs)));
      }
      reply = () => callback({ code: faults.grpcCode, details: message, metadata });
    } else {
      try {
        receiver.accept(signal, body, 'proto', body.length);
        reply = () => callback(null, EMPTY);
      } catch (err) {
        // accept() only throws BadRequestError.
        const message = (err as BadRequestError).message;
        log?.debug({ signal, err: message }, 'sink: rejected malformed gRPC request');
        reply = () => callback({ code: GrpcStatus.INVALID_ARGUMENT, details: message });
      }
    }
    if (faults.delayMs > 0) setTimeout(reply, faults.delayMs);
    else reply();
  };
}

async function credentials(tls: SinkTlsOptions | undefined): Promise<ServerCredentials> {
  if (!tls) return ServerCredentials.createInsecure();
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile), readFile(tls.keyFile), tls.clientCaFile ? readFile(tls.clientCaFile) : undefined,
  ]);
  return ServerCredentials.createSsl(ca ?? null, [{ cert_chain: cert, private_key: key }], ca !== undefined);
}

/** Lets in-flight calls finish, but never waits more than a second for a client that keeps its stream open. */
function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** Splits `host:port` / `[::1]:port`; the port must be a number (0 picks a free one). */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`expected host:port, got "${address}"`);
  return { host: (m[1] ?? m[2])!, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
