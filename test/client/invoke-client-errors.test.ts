import { describe, expect, it } from 'vitest';
import {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  LambdaInvokeError,
  toRemoteError,
  UpstreamError,
  ValidationError,
} from '../../functions/client/invoke-client.js';

const payload = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [] });

const detail = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('rebuilding errors from their JSON messages', () => {
  it('rebuilds DigiCertRequestError with DigiCert’s status and entries, and the sentence as message', () => {
    const sentence =
      'DigiCert rejected the request with HTTP 400 (invalid_dcv_email, bad_request_format): Not allowed.';
    const errors = [
      { code: 'invalid_dcv_email', message: 'Not allowed.' },
      { code: 'bad_request_format', message: 'Bad format.' },
    ];

    const error = toRemoteError(
      payload(
        'DigiCertRequestError',
        detail({ message: sentence, code: 'invalid_dcv_email,bad_request_format', status: 400, errors }),
      ),
    );

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect((error as DigiCertRequestError).status).toBe(400);
    expect((error as DigiCertRequestError).errors).toEqual(errors);
    expect(error.message).toBe(sentence);
  });

  it('rebuilds UpstreamError with its code, attempts and retry hint', () => {
    const error = toRemoteError(
      payload(
        'UpstreamError',
        detail({
          message: 'DigiCert kept rate-limiting requests for order 7 (HTTP 429) after 3 attempts',
          code: 'request_limit_exceeded',
          status: 429,
          retry_after: 12,
          attempts: 3,
        }),
      ),
    );

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'request_limit_exceeded', attempts: 3, retryAfterSeconds: 12 });
  });

  it('rebuilds ValidationError with one issue per entry', () => {
    const error = toRemoteError(
      payload(
        'ValidationError',
        detail({
          message:
            'Invalid request: orders.1.order_id: duplicates orders.0.order_id (5), list each order once',
          code: 'invalid_order_id',
          status: 400,
          errors: [
            {
              code: 'invalid_order_id',
              message: 'duplicates orders.0.order_id (5), list each order once',
              field: 'orders.1.order_id',
            },
          ],
        }),
      ),
    );

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        field: 'orders.1.order_id',
        code: 'invalid_order_id',
        message: 'duplicates orders.0.order_id (5), list each order once',
      },
    ]);
  });

  it('rebuilds ConfigurationError with its code, whatever the sentence says', () => {
    const error = toRemoteError(
      payload(
        'ConfigurationError',
        detail({ message: 'Something about the key', code: 'upstream_auth_failed', status: 502 }),
      ),
    );

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('upstream_auth_failed');
    expect(error.message).toBe('Something about the key');
  });

  it('falls back to a known code when the function sends one this client does not know', () => {
    const error = toRemoteError(
      payload('UpstreamError', detail({ message: 'DigiCert is busy', code: 'brand_new_code', status: 502 })),
    );

    expect((error as UpstreamError).code).toBe('upstream_unavailable');
  });
});

describe('error payloads that are not the contract’s', () => {
  it('gives a LambdaInvokeError for a typed error whose message carries no JSON detail', () => {
    const error = toRemoteError(
      payload('UpstreamError', 'DigiCert did not answer in time for order 123 after 2 attempts'),
    );

    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect((error as LambdaInvokeError).errorType).toBe('UpstreamError');
    expect(error.message).toBe('DigiCert did not answer in time for order 123 after 2 attempts');
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
