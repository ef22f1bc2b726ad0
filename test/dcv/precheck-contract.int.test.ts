import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleHandler, context, v1, v2 } from '../support/audit-events.js';
import { KEY } from '../support/audit-fakes.js';
import {
  detailOf,
  errorOf,
  expectSent,
  header,
  http,
  thrown,
  useContractAudit,
  waitFor,
} from '../support/contract-audit.js';

const audit = useContractAudit({ dns: true });
const { fake } = audit;

describe('DCV pre-check and the address route (docs/contract.md §9)', () => {
  let enforcing: BundleHandler;
  beforeAll(async () => {
    enforcing = await audit.container({ DCV_PRECHECK: 'enforce', DNS_SERVERS: audit.dns.address });
  });
  const json = { 'content-type': 'application/json' };

  it('refuses an address that matches no rule: 400 dcv_email_not_allowed naming the field', async () => {
    const response = await http(
      enforcing,
      v2({
        orderId: '701',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    const body = errorOf(response, 400, 'dcv_email_not_allowed');
    expect(body.errors.find((e) => e.code === 'dcv_email_not_allowed')?.field).toBe(
      'domain_approval_emails.0.email',
    );
    expect(body.errors.find((e) => e.code === 'dcv_email_not_allowed')?.message).toContain(
      'admin@example.com',
    );
    expect(fake.to(701)).toHaveLength(0);
    const detail = detailOf(
      await thrown(
        enforcing(
          {
            order_id: 702,
            domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
          },
          context(),
        ),
      ),
      'ValidationError',
    );
    expect(detail.code).toBe('dcv_email_not_allowed');
    expect(fake.to(702)).toHaveLength(0);
  });

  it('lets constructed addresses through, at the domain or at email_domain', async () => {
    const response = await http(
      enforcing,
      v2({
        orderId: '703',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [
            { domain: 'example.com', email: 'admin@example.com' },
            { domain: 'sub.example2.com', email: 'hostmaster@example2.com', email_domain: 'example2.com' },
          ],
        }),
      }),
    );
    expectSent(response);
  });

  it('never blocks a resend on a DNS failure, even in enforce mode', async () => {
    const deadDns = await audit.container({ DCV_PRECHECK: 'enforce', DNS_SERVERS: '127.0.0.1:9' });
    const response = await http(
      deadDns,
      v2({
        orderId: '704',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    expectSent(response);
  });

  it('sends a mismatching address in warn mode (the default) and logs the mismatch', async () => {
    const warning = await audit.container({ DNS_SERVERS: audit.dns.address });
    const before = audit.stdout.mock.calls.length;
    const response = await http(
      warning,
      v2({
        orderId: '705',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    expectSent(response);
    expect(fake.to(705)).toHaveLength(1);
    await waitFor(() =>
      audit.stdout.mock.calls
        .slice(before)
        .some((c) => /pre-?check/i.test(String(c[0])) && String(c[0]).includes('"warn"')),
    );
  });

  it('answers the address route for a REST API event, with DigiCert’s own answer, and refuses a public suffix', async () => {
    const response = await http(
      enforcing,
      v1({
        method: 'GET',
        path: '/domain/shop.example.com/dcv/emails',
        resource: '/domain/{domain}/dcv/emails',
        pathParameters: { domain: 'shop.example.com' },
        headers: null,
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(header(response, 'x-request-id')).toBeTruthy();
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body.constructed_emails).toEqual(
      expect.arrayContaining(['admin@shop.example.com', 'admin@example.com']),
    );
    expect(JSON.stringify(body)).toContain('admin@shop.example.com');
    expect(
      fake.requests.some((r) => r.method === 'GET' && r.path.includes('/domain/shop.example.com/dcv/emails')),
    ).toBe(true);
    const suffix = await http(
      enforcing,
      v2({
        method: 'GET',
        rawPath: '/domain/co.uk/dcv/emails',
        routeKey: 'GET /domain/{domain}/dcv/emails',
        pathParameters: { domain: 'co.uk' },
      }),
    );
    errorOf(suffix, 400, 'invalid_input');
  });

  it('sanitises DigiCert’s answer on the address route when it echoes the key (§5)', async () => {
    fake.script('echo.example.com', {
      status: 200,
      body: JSON.stringify({ emails: ['admin@echo.example.com'], note: `key ${KEY}` }),
    });
    fake.script('echo2.example.com', {
      status: 403,
      body: JSON.stringify({ errors: [{ code: 'access_denied', message: `key ${KEY} may not read` }] }),
    });
    for (const domain of ['echo.example.com', 'echo2.example.com']) {
      const response = await http(
        enforcing,
        v2({
          method: 'GET',
          rawPath: `/domain/${domain}/dcv/emails`,
          routeKey: 'GET /domain/{domain}/dcv/emails',
          pathParameters: { domain },
        }),
      );
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(KEY);
      expect(JSON.parse(response.body)).toHaveProperty('constructed_emails');
    }
  });

  it('answers GET /domain/{domain}/dcv/emails with the four fields, on a named stage too', async () => {
    for (const stage of ['$default', 'prod']) {
      const rawPath = `${stage === '$default' ? '' : `/${stage}`}/domain/example.com/dcv/emails`;
      const response = await http(
        enforcing,
        v2({
          method: 'GET',
          rawPath,
          stage,
          routeKey: 'GET /domain/{domain}/dcv/emails',
          pathParameters: { domain: 'example.com' },
        }),
      );
      expect(response.statusCode).toBe(200);
      expect(header(response, 'x-request-id')).toBeTruthy();
      expect(header(response, 'content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      expect(body.constructed_emails).toEqual(
        expect.arrayContaining(['admin@example.com', 'postmaster@example.com']),
      );
      expect(Array.isArray(body.dns_txt_emails)).toBe(true);
      expect(Array.isArray(body.caa_emails)).toBe(true);
      expect(body.has_mx).toBe(true);
      expect(response.body).not.toContain(KEY);
    }
  });
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(10);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
