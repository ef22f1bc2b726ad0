/**
 * The SDK-free `GetSecretValue` (functions/secrets/secrets-manager-sigv4.ts): the request it signs
 * carries the signature the SDK's SignatureV4 gives the SDK's request (checked here with a hash over
 * node:crypto), and it is used only where it does what the SDK would.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import {
  fastSecretsManagerEligible,
  secretsManagerSigner,
  signedHeaders,
} from '../../functions/secrets/secrets-manager-sigv4.js';

/** The hash constructor `SignatureV4` takes, over node:crypto. */
class Sha256 {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.#hash.digest());
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEYID0001',
  AWS_SECRET_ACCESS_KEY: 'example/secret+access/key0123456789abcdef',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE//session+token==',
};

describe('SigV4 for GetSecretValue', () => {
  it.each([
    [
      'with a session token, on the regional endpoint',
      LAMBDA_ENV.AWS_SESSION_TOKEN,
      'secretsmanager.eu-west-1.amazonaws.com',
      '/',
    ],
    ['without a session token, on a local endpoint with a port', undefined, '127.0.0.1:4566', '/'],
  ])('signs exactly as the SDK’s SignatureV4 does %s', async (_case, sessionToken, host, path) => {
    const date = new Date('2026-12-02T01:02:03.456Z');
    const body = JSON.stringify({
      SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dcv/key-AbCdEf',
    });
    const credentials = {
      accessKeyId: LAMBDA_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LAMBDA_ENV.AWS_SECRET_ACCESS_KEY,
      sessionToken,
    };

    const ours = await signedHeaders(
      secretsManagerSigner({
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: sessionToken,
      }),
      { host, path, body, date },
    );
    const sdk = await new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'secretsmanager',
      sha256: Sha256,
    }).sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: host.split(':')[0] ?? host,
        path,
        headers: {
          host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.GetSecretValue',
        },
        body,
      },
      { signingDate: date },
    );

    expect(ours.authorization).toBe(sdk.headers.authorization);
    expect(ours['x-amz-date']).toBe(sdk.headers['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(sdk.headers['x-amz-security-token']);
    expect(ours).not.toHaveProperty('host');
  });
});

describe('where the SDK-free read is used', () => {
  it('is used in Lambda’s environment: credentials and a region of the aws partition', () => {
    expect(fastSecretsManagerEligible(LAMBDA_ENV)).toBe(true);
  });

  it('is used with an explicit endpoint, whatever the region', () => {
    expect(
      fastSecretsManagerEligible({
        ...LAMBDA_ENV,
        AWS_REGION: 'local',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566',
      }),
    ).toBe(true);
  });

  it.each([
    ['no region', { AWS_REGION: undefined }],
    ['no credentials in the environment', { AWS_ACCESS_KEY_ID: undefined }],
    ['FIPS endpoints', { AWS_USE_FIPS_ENDPOINT: 'true' }],
    ['dual-stack endpoints', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }],
    ['configured endpoints ignored', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }],
    ['a China region', { AWS_REGION: 'cn-north-1' }],
    ['a GovCloud region', { AWS_REGION: 'us-gov-west-1' }],
    ['an endpoint that is not a URL', { AWS_ENDPOINT_URL: 'not a url' }],
  ])('leaves the read to the SDK with %s', (_case, change) => {
    expect(fastSecretsManagerEligible({ ...LAMBDA_ENV, ...change })).toBe(false);
  });
});
