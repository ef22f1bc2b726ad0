/**
 * The typed invoke client, through the real `LambdaClient`, against a local stand-in for the
 * Lambda Invoke API that runs our real handler in-process (itself against the DigiCert simulator
 * and the Secrets Manager stand-in).
 */
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  BatchError,
  ConfigurationError,
  createResendClient,
  DigiCertRequestError,
  LambdaInvokeError,
  type ResendOrder,
  UpstreamError,
  ValidationError,
} from 'dcv-resend/invoke-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { input } from 'zod';
import { fakeContext } from '../../dev/lambda-events.js';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import type { resendRequestSchema } from '../../functions/resend/request-schema.js';
import { createHandler, type Handler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, SECRET_NAME } from '../support/harness.js';
import { rejection, useHarness } from '../support/invocations.js';

const FUNCTION_NAME = 'resend-dcv-emails';

const harness = useHarness();
let lambdaApi: LambdaInvokeStandIn;

/** Each test meets a cold container: a fresh runtime, key cache and rate limiter. */
let container: Handler;

beforeAll(async () => {
  lambdaApi = await LambdaInvokeStandIn.start({
    functions: {
      [FUNCTION_NAME]: (event, context) => container(event, context),
      // A function outside the contract: it fails the way a bug would.
      'broken-function': async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'order_id')");
      },
      'misconfigured-function': createHandler(() => harness.runtime({ DIGICERT_TIMEOUT_MS: 'soon' })),
    },
  });
  // The SDK's own way to reach a local endpoint: no code change in the caller.
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaApi.endpoint;
});
beforeEach(() => {
  container = harness.handler();
});
afterEach(() => {
  lambdaApi.reset();
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  await lambdaApi.close();
});

describe('invoke client', () => {
  it('types requests with the fields the function validates, and accepts every valid request', () => {
    type Accepted = input<typeof resendRequestSchema>;
    expectTypeOf<keyof ResendOrder>().toEqualTypeOf<keyof Accepted>();
    expectTypeOf<Accepted>().toExtend<ResendOrder>();
  });

  it('resends one order and returns the sent result', async () => {
    const client = createResendClient({ functionName: FUNCTION_NAME });

    const result = await client.resend({
      order_id: '6001',
      domain_approval_emails: [{ domain: 'shop.example.com', email: 'admin@example.com' }],
      locale: 'en',
    });

    expect(result).toEqual({ order_id: 6001, status: 'sent' });
    expect(harness.simulator.requestsFor(6001)).toHaveLength(1);
  });

  it('sends a SigV4-signed RequestResponse invocation with the request as payload', async () => {
    const client = createResendClient({ functionName: FUNCTION_NAME });

    await client.resend({ order_id: 6002 });

    expect(lambdaApi.invocations).toEqual([
      expect.objectContaining({
        functionName: FUNCTION_NAME,
        invocationType: 'RequestResponse',
        payload: { order_id: 6002 },
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 /),
      }),
    ]);
  });

  it('resends a batch and returns its summary', async () => {
    const client = createResendClient({ functionName: FUNCTION_NAME });

    const result = await client.resendBatch([{ order_id: 6011 }, { order_id: 6012 }]);

    expect(result).toEqual({
      sent: 2,
      failed: 0,
      results: [
        { order_id: 6011, status: 'sent' },
        { order_id: 6012, status: 'sent' },
      ],
    });
  });

  it('uses the Lambda client it is given, and the function ARN', async () => {
    const lambda = new LambdaClient({ endpoint: lambdaApi.endpoint });
    const client = createResendClient({ functionName: LambdaInvokeStandIn.arnOf(FUNCTION_NAME), lambda });

    const result = await client.resend({ order_id: 6021 });

    expect(result).toEqual({ order_id: 6021, status: 'sent' });
  });
});

describe('invoke client errors', () => {
  const client = () => createResendClient({ functionName: FUNCTION_NAME });

  it('throws ValidationError with the issues for an invalid order, before any DigiCert call', async () => {
    const error = await rejection(client().resend({ order_id: '12a' }));

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        field: 'order_id',
        code: 'invalid_order_id',
        message: 'must be a positive integer of at most 12 digits',
      },
    ]);
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('gives the function’s sentence as the error’s message', async () => {
    const direct = await rejection(container({ order_id: -1, locale: 'english' }, fakeContext()));

    const remote = await rejection(client().resend({ order_id: -1, locale: 'english' }));

    const { message } = JSON.parse((direct as Error).message) as { message: string };
    expect(message).toMatch(/^Invalid request: order_id: .*; locale: /);
    expect((remote as Error).message).toBe(message);
  });

  it('gives an UpstreamError the retry hint and attempts the function reported', async () => {
    harness.simulator.script(6102, { kind: 'maintenance' });

    const error = await rejection(client().resend({ order_id: 6102 }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).attempts).toBe(4);
    expect((error as Error).message).toMatch(/for order 6102 after 4 attempts$/);
  });

  it('throws DigiCertRequestError with DigiCert’s status and code', async () => {
    harness.simulator.script(6101, { kind: 'not_found' });

    const error = await rejection(client().resend({ order_id: 6101 }));

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect((error as DigiCertRequestError).status).toBe(404);
    expect((error as DigiCertRequestError).errors.map((e) => e.code)).toEqual(['not_found|order']);
  });

  it.each([
    ['DigiCert stays in maintenance', { kind: 'maintenance' } as const, 'upstream_unavailable'],
    ['DigiCert keeps answering 429', { kind: 'rate_limited' } as const, 'request_limit_exceeded'],
  ])('throws UpstreamError with its code when %s', async (_name, behaviour, code) => {
    harness.simulator.script(6201, behaviour);

    const error = await rejection(client().resend({ order_id: 6201 }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe(code);
    expect((error as UpstreamError).attempts).toBe(4);
  });

  it('throws ConfigurationError upstream_auth_failed when DigiCert rejects the key', async () => {
    harness.secrets.setSecret(SECRET_NAME, 'a-revoked-key-0123456789');

    const error = await rejection(client().resend({ order_id: 6301 }));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('upstream_auth_failed');
  });

  it('throws ConfigurationError secret_unavailable when the secret cannot be read', async () => {
    harness.secrets.deleteSecret(SECRET_NAME);

    const error = await rejection(client().resend({ order_id: 6302 }));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('secret_unavailable');
  });

  it('throws ConfigurationError invalid_configuration naming a bad variable', async () => {
    const misconfigured = createResendClient({ functionName: 'misconfigured-function' });

    const error = await rejection(misconfigured.resend({ order_id: 6303 }));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('invalid_configuration');
    expect((error as Error).message).toContain('DIGICERT_TIMEOUT_MS');
  });

  it('rebuilds BatchError with the per-order summary', async () => {
    harness.simulator.script(6402, { kind: 'not_found' });
    harness.simulator.script(6403, { kind: 'maintenance' });

    const error = await rejection(
      client().resendBatch([{ order_id: 6401 }, { order_id: 6402 }, { order_id: 6403 }]),
    );

    expect(error).toBeInstanceOf(BatchError);
    expect((error as BatchError).summary).toEqual({
      sent: 1,
      failed: 2,
      results: [
        { order_id: 6401, status: 'sent' },
        expect.objectContaining({
          order_id: 6402,
          error_type: 'DigiCertRequestError',
          code: 'not_found|order',
        }),
        expect.objectContaining({
          order_id: 6403,
          error_type: 'UpstreamError',
          code: 'upstream_unavailable',
        }),
      ],
    });
  });

  it('throws ValidationError for a batch of 501 orders', async () => {
    const orders = Array.from({ length: 501 }, (_, i) => ({ order_id: 7000 + i }));

    const error = await rejection(client().resendBatch(orders));

    expect(error).toBeInstanceOf(ValidationError);
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('throws LambdaInvokeError carrying the errorType for an error outside the contract', async () => {
    const broken = createResendClient({ functionName: 'broken-function' });

    const error = await rejection(broken.resend({ order_id: 6501 }));

    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect((error as LambdaInvokeError).errorType).toBe('TypeError');
    expect((error as LambdaInvokeError).functionError).toBe('Unhandled');
  });

  it('lets the SDK’s own error through when the function does not exist', async () => {
    const missing = createResendClient({ functionName: 'no-such-function' });

    const error = await rejection(missing.resend({ order_id: 6601 }));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('never receives the API key in an error', async () => {
    harness.simulator.script(6701, { kind: 'forbidden' });
    harness.simulator.script(6702, { kind: 'html_bad_gateway' });

    const error = await rejection(client().resendBatch([{ order_id: 6701 }, { order_id: 6702 }]));

    expect((error as Error).message).not.toContain(CANARY_KEY);
    expect(JSON.stringify((error as BatchError).summary)).not.toContain(CANARY_KEY);
  });
});

describe('Lambda Invoke stand-in', () => {
  it('reports a thrown error as Lambda does: Unhandled, with errorType and errorMessage', async () => {
    const lambda = new LambdaClient({ endpoint: lambdaApi.endpoint });

    const response = await lambda.send(
      new InvokeCommand({ FunctionName: FUNCTION_NAME, Payload: new TextEncoder().encode('{"order_id":0}') }),
    );

    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBe('Unhandled');
    expect(JSON.parse(response.Payload?.transformToString() ?? '')).toEqual({
      errorType: 'ValidationError',
      errorMessage: JSON.stringify({
        message: 'Invalid request: order_id: must be a positive integer of at most 12 digits',
        code: 'invalid_order_id',
        status: 400,
        errors: [
          {
            code: 'invalid_order_id',
            message: 'must be a positive integer of at most 12 digits',
            field: 'order_id',
          },
        ],
      }),
      trace: [],
    });
  });

  it('answers an Event invocation with 202 and runs it afterwards', async () => {
    const lambda = new LambdaClient({ endpoint: lambdaApi.endpoint });

    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: FUNCTION_NAME,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode('{"order_id":6801}'),
      }),
    );
    await lambdaApi.settled();

    expect(response.StatusCode).toBe(202);
    expect(harness.simulator.requestsFor(6801)).toHaveLength(1);
  });
});
