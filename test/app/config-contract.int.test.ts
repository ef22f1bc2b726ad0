import { describe, expect, it } from 'vitest';
import { context, v2 } from '../support/audit-events.js';
import { KEY } from '../support/audit-fakes.js';
import { detailOf, errorOf, header, http, thrown, useContractAudit } from '../support/contract-audit.js';

const audit = useContractAudit();
const { fake } = audit;

describe('configuration (docs/contract.md §4, §9)', () => {
  const bad: readonly [string, Record<string, string>, string, string][] = [
    [
      'a foreign DigiCert URL',
      { DIGICERT_BASE_URL: 'https://evil-audit.example.net/services/v2' },
      'DIGICERT_BASE_URL',
      'evil-audit',
    ],
    [
      'a look-alike DigiCert host',
      { DIGICERT_BASE_URL: 'https://www.digicert.com.evil-audit.net/services/v2' },
      'DIGICERT_BASE_URL',
      'evil-audit',
    ],
    [
      'plain http to DigiCert',
      { DIGICERT_BASE_URL: 'http://www.digicert.com/services/v2' },
      'DIGICERT_BASE_URL',
      'http://www',
    ],
    [
      'a non-numeric timeout',
      { DIGICERT_TIMEOUT_MS: 'soonish-audit' },
      'DIGICERT_TIMEOUT_MS',
      'soonish-audit',
    ],
    ['a negative TTL', { SECRET_CACHE_TTL_SECONDS: '-77123' }, 'SECRET_CACHE_TTL_SECONDS', '77123'],
    [
      'an out-of-range rate limit',
      { DIGICERT_RATE_LIMIT_PER_5S: '0' },
      'DIGICERT_RATE_LIMIT_PER_5S',
      'got 0',
    ],
    [
      'a huge idempotency TTL',
      { IDEMPOTENCY_TTL_SECONDS: '99999999999' },
      'IDEMPOTENCY_TTL_SECONDS',
      '99999999999',
    ],
    ['an unknown pre-check mode', { DCV_PRECHECK: 'strict-audit' }, 'DCV_PRECHECK', 'strict-audit'],
    ['a bad state table name', { STATE_TABLE_NAME: 'x!audit' }, 'STATE_TABLE_NAME', 'x!audit'],
    [
      'a malformed secret id',
      { DIGICERT_API_KEY_SECRET_ID: 'audit secret id!' },
      'DIGICERT_API_KEY_SECRET_ID',
      'audit secret id!',
    ],
    ['an unknown log level', { LOG_LEVEL: 'verbose-audit' }, 'LOG_LEVEL', 'verbose-audit'],
    ['a DNS server given by name', { DNS_SERVERS: 'dns.audit.example' }, 'DNS_SERVERS', 'dns.audit.example'],
  ];

  it('refuses a missing DIGICERT_API_KEY_SECRET_ID with a ConfigurationError naming it, and a 5xx over HTTP', async () => {
    const handler = await audit.container({ DIGICERT_API_KEY_SECRET_ID: undefined });
    const detail = detailOf(await thrown(handler({ order_id: 404 }, context())), 'ConfigurationError');
    expect(detail.message).toContain('DIGICERT_API_KEY_SECRET_ID');
    const response = await http(handler, v2({ orderId: '404', body: '{}' }));
    // §9 says a configuration error is 500 internal_error; the code answers 503 secret_unavailable
    // (§2's "the secret cannot be read"): either is a 5xx with the envelope (see the audit report).
    expect([500, 503]).toContain(response.statusCode);
    expect(header(response, 'x-request-id')).toBeTruthy();
    expect(fake.to(404)).toHaveLength(0);
  });
  it.each(bad)(
    'refuses %s: ConfigurationError naming the variable, never its value; HTTP 500 internal_error',
    async (_, env, variable, value) => {
      const handler = await audit.container(env);
      const before = audit.stdout.mock.calls.length;
      const error = await thrown(handler({ order_id: 401 }, context()));
      const detail = detailOf(error, 'ConfigurationError');
      expect(detail.message).toContain(variable);
      expect(error.message).not.toContain(value);
      const response = await http(
        handler,
        v2({ orderId: '401', headers: { 'content-type': 'application/json' }, body: '{}' }),
      );
      const body = errorOf(response, 500, 'internal_error');
      expect(JSON.stringify(body)).not.toContain(value);
      const logged = audit.stdout.mock.calls
        .slice(before)
        .map((c) => String(c[0]))
        .join('');
      expect(logged).toContain(variable);
      expect(logged).not.toContain(value);
      expect(fake.to(401)).toHaveLength(0);
    },
  );

  it('refuses plain http to a loopback simulator inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)', async () => {
    const handler = await audit.container({ AWS_LAMBDA_FUNCTION_NAME: 'DcvResend-Function' });
    const detail = detailOf(await thrown(handler({ order_id: 402 }, context())), 'ConfigurationError');
    expect(detail.message).toContain('DIGICERT_BASE_URL');
    expect(fake.to(402)).toHaveLength(0);
  });

  const accepted = [
    'us',
    'eu',
    'EU',
    'https://www.digicert.com/services/v2',
    'https://certcentral.digicert.eu/services/v2/',
  ];
  it.each(accepted)(
    'accepts DIGICERT_BASE_URL=%s (the key is read, so configuration passed)',
    async (url) => {
      const handler = await audit.container({
        DIGICERT_BASE_URL: url,
        DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret',
      });
      const detail = detailOf(await thrown(handler({ order_id: 403 }, context())), 'ConfigurationError');
      expect(detail.code).toBe('secret_unavailable');
    },
  );
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(28);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
