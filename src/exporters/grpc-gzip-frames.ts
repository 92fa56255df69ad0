import { experimental, type Client, type Metadata } from '@grpc/grpc-js';

type WriteObject = Awaited<ReturnType<experimental.Filter['sendMessage']>>;

/**
 * grpc-js compresses with zlib's default level (6), about 4× slower than level 3 on OTLP
 * for 3 % smaller bodies, and cannot send bytes compressed before the call. So the gRPC
 * exporter gzips each message itself (gzip-body.ts) and hands grpc-js the gzip bytes with
 * its compression off; this filter, placed after grpc-js's compression filter, then marks
 * every call `grpc-encoding: gzip` and every framed message compressed (flag byte 1).
 *
 * grpc-js has no public way to add a channel filter, so this reaches into the channel's
 * filter stack; `installGzipFrames` says whether that worked (test/exporters/otlp-grpc.test.ts
 * fails if a grpc-js upgrade moves it).
 */
export function installGzipFrames(client: Client): boolean {
  const channel = client.getChannel() as unknown as { internalChannel?: { filterStackFactory?: { factories?: unknown } } };
  const factories = channel.internalChannel?.filterStackFactory?.factories;
  if (!Array.isArray(factories)) return false;
  // Last in the stack: after the message was framed with flag 0 (by the compression filter,
  // or by FramedMessages in its place) and grpc-encoding removed, as with compression off.
  factories.push({ createFilter: () => new GzipFramesFilter() });
  return true;
}

class GzipFramesFilter extends experimental.BaseFilter {
  override async sendMetadata(metadata: Promise<Metadata>): Promise<Metadata> {
    const md = await metadata;
    md.set('grpc-encoding', 'gzip');
    return md;
  }

  override async sendMessage(message: Promise<WriteObject>): Promise<WriteObject> {
    const m = await message;
    // grpc-js's frame: 1 flag byte, 4 bytes of length, then the (gzip) message. FramedMessages
    // wrote 1 already; grpc-js's own framing (where FramedMessages could not be installed) wrote 0.
    m.message[0] = 1;
    return m;
  }
}
