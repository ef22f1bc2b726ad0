/**
 * The key read without the SDK, as the runtime wires it (functions/app/runtime.ts), against the
 * awsJson1_1 stand-in: it is the path taken in Lambda's environment, it retries what the SDK's
 * standard strategy retries, and anything unusual still goes through the SDK.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import { createRuntime } from '../../functions/app/runtime.js';
import { SigV4SecretsManagerClient } from '../../functions/secrets/secrets-manager-sigv4.js';
import { CANARY_KEY, pointSdkAt } from '../support/harness.js';

const NAME = 'dcv-resend/sigv4-test';

let secrets: SecretsManagerStandIn;

beforeAll(async () => {
  secrets = await SecretsManagerStandIn.start({ [NAME]: CANARY_KEY });
  pointSdkAt(secrets.endpoint);
});
afterAll(async () => {
  delete process.env.AWS_USE_FIPS_ENDPOINT;
  await secrets.close();
});
beforeEach(() => {
  delete process.env.AWS_USE_FIPS_ENDPOINT;
  secrets.reset();
  secrets.setSecret(NAME, CANARY_KEY);
});

function runtime() {
  return createRuntime({ DIGICERT_API_KEY_SECRET_ID: NAME, DCV_PRECHECK: 'off' });
}

describe('the key read without the SDK', () => {
  it('is what the runtime uses with credentials and region in the environment, as Lambda sets them', async () => {
    await expect(runtime().apiKeys.getApiKey()).resolves.toBe(CANARY_KEY);

    expect(secrets.calls).toHaveLength(1);
    expect(secrets.calls[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCALSTANDIN\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(secrets.protocolErrors).toEqual([]);
  });

  it('leaves the read to the SDK when a setting it does not handle is on: FIPS gets the SDK’s own answer', async () => {
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';

    // The SDK refuses FIPS with a custom endpoint before sending anything; the SigV4 read would have sent.
    await expect(runtime().apiKeys.getApiKey()).rejects.toThrow(/\(EndpointError\)$/);

    expect(secrets.calls).toHaveLength(0);
  });

  it('retries throttling and a 500 as the SDK does, within its attempts', async () => {
    secrets.failNext('ThrottlingException', 'InternalServiceError');
    const client = new SigV4SecretsManagerClient(
      process.env,
      { maxAttempts: 3, connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 },
      { random: () => 0 },
    );

    await expect(client.readSecret(NAME)).resolves.toMatchObject({ SecretString: CANARY_KEY });

    expect(secrets.calls).toHaveLength(3);
  });

  it('answers an error Secrets Manager sends with its name and status, without retrying it', async () => {
    const client = new SigV4SecretsManagerClient(process.env, {
      maxAttempts: 3,
      connectionTimeoutMs: 1_000,
      requestTimeoutMs: 3_000,
    });

    await expect(client.readSecret('dcv-resend/no-such-secret')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });

    expect(secrets.calls).toHaveLength(1);
  });

  it('corrects a clock 20 minutes slow from the refusal’s Date, as the SDK does, and keeps the correction', async () => {
    const slowClock = () => new Date(Date.now() - 20 * 60_000);
    const client = new SigV4SecretsManagerClient(
      process.env,
      { maxAttempts: 3, connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 },
      { now: slowClock, random: () => 0 },
    );

    await expect(client.readSecret(NAME)).resolves.toMatchObject({ SecretString: CANARY_KEY });
    await expect(client.readSecret(NAME)).resolves.toMatchObject({ SecretString: CANARY_KEY });

    // The first read is refused once ("Signature expired") and retried; the second is signed right at once.
    expect(secrets.calls).toHaveLength(3);
    expect(secrets.protocolErrors).toEqual([]);
  });

  it('answers the clock-skew refusal when no attempt is left to retry it', async () => {
    const client = new SigV4SecretsManagerClient(
      process.env,
      { maxAttempts: 1, connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 },
      { now: () => new Date(Date.now() + 20 * 60_000) },
    );

    await expect(client.readSecret(NAME)).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
    });
    expect(secrets.calls).toHaveLength(1);
  });
});
