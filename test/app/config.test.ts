import { describe, expect, it } from 'vitest';
import { functionEnvProblem, loadConfig } from '../../functions/app/config.js';
import { DIGICERT_BASE_URLS } from '../../functions/app/contract.js';
import { ConfigurationError } from '../../functions/lib/errors.js';

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
    [
      'the EU URL with a trailing slash',
      'https://certcentral.digicert.eu/services/v2/',
      DIGICERT_BASE_URLS.eu,
    ],
    ['plain http on localhost', 'http://localhost:9000', 'http://localhost:9000'],
    ['plain http on ::1', 'http://[::1]:9000/services/v2', 'http://[::1]:9000/services/v2'],
    ['plain http anywhere in 127.0.0.0/8', 'http://127.1.2.3:9000', 'http://127.1.2.3:9000'],
  ])('selects %s', (_name, value, expected) => {
    expect(loadConfig({ ...base, DIGICERT_BASE_URL: value }).digicertBaseUrl).toBe(expected);
  });

  it.each([
    ["a look-alike of DigiCert's host", 'https://www.digicert.com.attacker.example/services/v2'],
    ['a DigiCert host on another port', 'https://www.digicert.com:8443/services/v2'],
    ['another path on DigiCert', 'https://www.digicert.com/services/v2/order'],
    ['the instance metadata address', 'https://169.254.169.254/'],
    ['an https loopback address', 'https://127.0.0.1:8443/services/v2'],
    ['plain http to a private address', 'http://10.0.0.1/services/v2'],
    ['plain http to a name that only starts like localhost', 'http://localhost.attacker.example/'],
  ])('refuses %s as DIGICERT_BASE_URL, naming the variable and both allowed URLs', (_name, value) => {
    const error = failure({ ...base, DIGICERT_BASE_URL: value });
    expect(error.message).toMatch(/^DIGICERT_BASE_URL must be "us", "eu" or a URL of DigiCert's API/);
    expect(error.message).toContain(DIGICERT_BASE_URLS.us);
    expect(error.message).toContain(DIGICERT_BASE_URLS.eu);
    expect(error.message).not.toContain(value);
  });

  it('refuses plain http to loopback inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)', () => {
    const error = failure({
      ...base,
      AWS_LAMBDA_FUNCTION_NAME: 'resend-dcv-emails',
      DIGICERT_BASE_URL: 'http://127.0.0.1:8080/services/v2',
    });
    expect(error.message).toMatch(/^DIGICERT_BASE_URL .*only outside Lambda/);
    const inLambda = { ...base, AWS_LAMBDA_FUNCTION_NAME: 'resend-dcv-emails', DIGICERT_BASE_URL: 'eu' };
    expect(loadConfig(inLambda).digicertBaseUrl).toBe(DIGICERT_BASE_URLS.eu);
  });

  it('does not repeat a refused URL, which may carry credentials', () => {
    const error = failure({ ...base, DIGICERT_BASE_URL: 'https://user:s3cret-pass@evil.example/' });
    expect(error.message).toMatch(/^DIGICERT_BASE_URL /);
    expect(error.message).not.toContain('s3cret-pass');
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
    ['LOG_LEVEL', 'verbose', /must be one of debug, info, warn, error/],
  ])('fails naming %s when it is %s', (variable, value, rule) => {
    const error = failure({ ...base, [variable]: value });
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(rule);
    expect(error.name).toBe('ConfigurationError');
  });
});

describe('one schema for the whole environment', () => {
  it('names the first bad variable in the order of the rules when several are bad, the Lambda rule included', () => {
    const error = failure({
      ...base,
      AWS_LAMBDA_FUNCTION_NAME: 'resend-dcv-emails',
      DIGICERT_BASE_URL: 'http://127.0.0.1:8080/services/v2',
      DIGICERT_TIMEOUT_MS: 'ten',
      DNS_SERVERS: 'dns.example.com',
    });
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toMatch(/^DIGICERT_BASE_URL .*only outside Lambda\)$/);
  });

  it("gives the stack the function's own verdict on one value, worded without the variable's name", () => {
    expect(functionEnvProblem('DNS_SERVERS', 'dns.example.com')).toMatch(
      /^must be comma-separated IP addresses/,
    );
    expect(functionEnvProblem('DIGICERT_RATE_LIMIT_PER_5S', '0')).toBe(
      'must be a whole number from 1 to 1000000',
    );
    expect(functionEnvProblem('DCV_PRECHECK', 'Enforce')).toBeUndefined();
    expect(functionEnvProblem('IDEMPOTENCY_TTL_SECONDS', undefined)).toBeUndefined();
  });

  it('reads SERVICE_NAME and the rate-limit share divisor, which have no default of their own', () => {
    expect(loadConfig(base)).toMatchObject({ serviceName: undefined, rateLimitShareDivisor: undefined });
    const set = loadConfig({ ...base, SERVICE_NAME: 'DcvResend', DIGICERT_RATE_LIMIT_SHARE_DIVISOR: '80' });
    expect(set).toMatchObject({ serviceName: 'DcvResend', rateLimitShareDivisor: 80 });
    expect(failure({ ...base, DIGICERT_RATE_LIMIT_SHARE_DIVISOR: '0' }).message).toBe(
      'DIGICERT_RATE_LIMIT_SHARE_DIVISOR must be a whole number from 1 to 10000',
    );
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
    ['IDEMPOTENCY_TTL_SECONDS', '0', /from 1 to/],
    ['IDEMPOTENCY_TTL_SECONDS', 'a day', /whole number/],
  ])('fails naming %s when it is %j', (variable, value, rule) => {
    const error = failure({ ...base, [variable]: value });
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(rule);
  });
});

describe('the pre-check settings (docs/contract.md §9)', () => {
  it('defaults to warn with the system resolver', () => {
    expect(loadConfig(base).dcv).toEqual({ precheck: 'warn', dnsServers: undefined });
  });

  it.each(['off', 'warn', 'enforce', 'ENFORCE'])('accepts DCV_PRECHECK=%s', (value) => {
    expect(loadConfig({ ...base, DCV_PRECHECK: value }).dcv.precheck).toBe(value.toLowerCase());
  });

  it('names DCV_PRECHECK when its value is not a mode, without echoing the value', () => {
    const attempt = () => loadConfig({ ...base, DCV_PRECHECK: 'strict-secret-ish' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/^DCV_PRECHECK must be one of off, warn, enforce$/);
  });

  it('reads DNS_SERVERS as IP addresses with optional ports', () => {
    expect(loadConfig({ ...base, DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2,[::1]:53' }).dcv.dnsServers).toEqual([
      '127.0.0.1:5353',
      '10.0.0.2',
      '[::1]:53',
    ]);
  });

  it.each(['dns.example.com', '127.0.0.1:99999', '300.1.1.1', '127.0.0.1,,'])(
    'names DNS_SERVERS when it holds %s',
    (value) => {
      expect(() => loadConfig({ ...base, DNS_SERVERS: value })).toThrow(/^DNS_SERVERS must be/);
    },
  );
});

describe("DNS DCV's Route 53 request budget (docs/contract.md §12)", () => {
  it('allows Route 53 its own 5 requests per second by default, and less when set', () => {
    expect(loadConfig(base).dnsDcv.route53RatePerSecond).toBe(5);
    expect(loadConfig({ ...base, DNS_DCV_ROUTE53_RATE_PER_S: '2' }).dnsDcv.route53RatePerSecond).toBe(2);
  });

  it.each(['0', '6', '2.5', 'five'])('names DNS_DCV_ROUTE53_RATE_PER_S when it is %j', (value) => {
    expect(() => loadConfig({ ...base, DNS_DCV_ROUTE53_RATE_PER_S: value })).toThrow(
      /^DNS_DCV_ROUTE53_RATE_PER_S must be a whole number from 1 to 5$/,
    );
  });
});
