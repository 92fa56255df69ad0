import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { grpcExportError, parseStatusDetails } from '../../src/exporters/grpc-status.js';
import { encodeStatus } from './fake-endpoint.js';

function withDetails(code: number, details: string, bin?: Buffer) {
  const metadata = new grpc.Metadata();
  if (bin) metadata.set('grpc-status-details-bin', bin);
  return { code, details, metadata };
}

describe('parseStatusDetails', () => {
  it('reads the message and a RetryInfo delay (seconds + nanos)', () => {
    expect(parseStatusDetails(encodeStatus(8, 'quota', 2500))).toEqual({ message: 'quota', retryDelayMs: 2500 });
  });

  it('no RetryInfo → no delay', () => {
    expect(parseStatusDetails(encodeStatus(14, 'down'))).toEqual({ message: 'down' });
  });

  it('malformed bytes give undefined, not a throw', () => {
    expect(parseStatusDetails(Buffer.from([0x12, 0x7f]))).toBeUndefined();
  });
});

describe('grpcExportError', () => {
  it('RESOURCE_EXHAUSTED is retryable only with RetryInfo, honouring its delay', () => {
    const plain = grpcExportError(withDetails(8, 'quota'));
    expect(plain).toMatchObject({ code: 'RESOURCE_EXHAUSTED', retryable: false });
    const withInfo = grpcExportError(withDetails(8, 'quota', encodeStatus(8, 'quota', 300)));
    expect(withInfo).toMatchObject({ code: 'RESOURCE_EXHAUSTED', retryable: true, retryAfterMs: 300 });
  });

  it('names the code and carries the details', () => {
    const e = grpcExportError(withDetails(3, 'span name too long'));
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false, message: 'gRPC INVALID_ARGUMENT: span name too long' });
  });

  it('falls back to the status message from the details trailer', () => {
    expect(grpcExportError(withDetails(13, '', encodeStatus(13, 'from trailer'))).message).toBe('gRPC INTERNAL: from trailer');
  });

  it('a certificate failure reported as UNAVAILABLE is permanent', () => {
    const e = grpcExportError(withDetails(14, 'No connection established. Last error: unable to verify the first certificate'));
    expect(e).toMatchObject({ code: 'ERR_EXPORT_TLS', retryable: false });
    expect(grpcExportError(withDetails(14, 'No connection established. Last error: connect ECONNREFUSED'))).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
    });
  });
});
