import { describe, expect, it } from 'vitest';
import {
  BatchError,
  DigiCertRequestError,
  LambdaInvokeError,
  toRemoteError,
  UpstreamError,
} from '../../functions/client/invoke-client.js';

const payload = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [] });

describe('rebuilding errors from Lambda error payloads', () => {
  it('rebuilds DigiCertRequestError with every code DigiCert sent', () => {
    const message =
      'DigiCert rejected the request with HTTP 400 (invalid_dcv_email, bad_request_format): The DCV email address is not allowed.';

    const error = toRemoteError(payload('DigiCertRequestError', message));

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect((error as DigiCertRequestError).status).toBe(400);
    expect((error as DigiCertRequestError).errors.map((e) => e.code)).toEqual([
      'invalid_dcv_email',
      'bad_request_format',
    ]);
    expect(error.message).toBe(message);
  });

  it('reads the attempts of an UpstreamError from its message', () => {
    const error = toRemoteError(
      payload('UpstreamError', 'DigiCert did not answer in time for order 123 after 2 attempts'),
    );

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('upstream_timeout');
    expect((error as UpstreamError).attempts).toBe(2);
  });

  it('gives a LambdaInvokeError for a BatchError whose message is not a batch summary', () => {
    const error = toRemoteError(payload('BatchError', '{"sent":"many"}'));

    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error).not.toBeInstanceOf(BatchError);
    expect((error as LambdaInvokeError).errorType).toBe('BatchError');
  });

  it('gives a LambdaInvokeError carrying the raw text when the error payload is not JSON', () => {
    const error = toRemoteError('Task timed out after 30.00 seconds');

    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error.message).toBe('Task timed out after 30.00 seconds');
  });
});
