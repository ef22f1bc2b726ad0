import { describe, expect, it } from 'vitest';
import { DIGICERT_BASE_URLS, loadConfig } from '../../functions/shared/config.js';
import { ConfigurationError } from '../../functions/shared/domain/errors.js';

const base = { DIGICERT_API_KEY_SECRET_ID: 'dcv-resend/digicert-api-key' };

function failure(env: Record<string, string>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('configuration from the environment', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      secretId: 'dcv-resend/digicert-api-key',
      digicertBaseUrl: 'https://www.digicert.com/services/v2',
      digicertTimeoutMs: 10_000,
      secretCacheTtlMs: 300_000,
    });
  });

  it('accepts a secret ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dcv/key-AbCdEf';
    expect(loadConfig({ DIGICERT_API_KEY_SECRET_ID: arn }).secretId).toBe(arn);
  });

  it.each([
    ['the EU base URL', DIGICERT_BASE_URLS.eu, DIGICERT_BASE_URLS.eu],
    ['the EU alias', 'eu', DIGICERT_BASE_URLS.eu],
    ['the US alias', 'US', DIGICERT_BASE_URLS.us],
    ['a trailing slash, dropped', 'https://www.digicert.com/services/v2/', DIGICERT_BASE_URLS.us],
    [
      'plain http on loopback (the simulator)',
      'http://127.0.0.1:8080/services/v2',
      'http://127.0.0.1:8080/services/v2',
    ],
  ])('selects %s', (_name, value, expected) => {
    expect(loadConfig({ ...base, DIGICERT_BASE_URL: value }).digicertBaseUrl).toBe(expected);
  });

  it('fails naming DIGICERT_API_KEY_SECRET_ID when it is missing', () => {
    const error = failure({});
    expect(error.message).toMatch(/DIGICERT_API_KEY_SECRET_ID is required/);
    expect(error.code).toBe('secret_unavailable');
  });

  it.each([
    ['DIGICERT_BASE_URL', 'http://www.digicert.com/services/v2', /https/],
    ['DIGICERT_BASE_URL', 'not a url', /"us", "eu" or a URL/],
    ['DIGICERT_BASE_URL', 'https://user:pw@www.digicert.com/services/v2', /credentials/],
    ['DIGICERT_TIMEOUT_MS', 'ten', /whole number/],
    ['DIGICERT_TIMEOUT_MS', '0', /from 1 to/],
    ['SECRET_CACHE_TTL_SECONDS', '-1', /whole number/],
    ['DIGICERT_API_KEY_SECRET_ID', 'has spaces in it', /ARN or name/],
  ])('fails naming %s when it is %s', (variable, value, rule) => {
    const error = failure({ ...base, [variable]: value });
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(rule);
    expect(error.name).toBe('ConfigurationError');
  });
});

describe('the state table settings', () => {
  it('turns the state table off when STATE_TABLE_NAME is unset or empty, and remembers deliveries for a day by default', () => {
    expect(loadConfig(base)).toMatchObject({ stateTableName: undefined, idempotencyTtlSeconds: 86_400 });
    expect(loadConfig({ ...base, STATE_TABLE_NAME: '' }).stateTableName).toBeUndefined();
  });

  it.each([
    ['a table name', 'DcvResend-StateTable0A1B2C3D-XYZ'],
    ['a table ARN', 'arn:aws:dynamodb:eu-west-1:123456789012:table/dcv-resend-state'],
  ])('accepts %s', (_name, value) => {
    expect(loadConfig({ ...base, STATE_TABLE_NAME: value }).stateTableName).toBe(value);
  });

  it.each([
    ['STATE_TABLE_NAME', 'ab', /DynamoDB table name/],
    ['STATE_TABLE_NAME', 'has spaces', /DynamoDB table name/],
    ['IDEMPOTENCY_TTL_SECONDS', '3600', /from 21600 to/],
    ['IDEMPOTENCY_TTL_SECONDS', 'a day', /whole number/],
  ])('fails naming %s when it is %j', (variable, value, rule) => {
    const error = failure({ ...base, [variable]: value });
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(rule);
  });
});
