import { describe, expect, it } from 'vitest';
import { context, v2 } from '../support/audit-events.js';
import { KEY } from '../support/audit-fakes.js';
import {
  detailOf,
  errorOf,
  expectSent,
  header,
  http,
  thrown,
  useContractAudit,
} from '../support/contract-audit.js';

const audit = useContractAudit({ dynamo: true });
const { fake } = audit;

describe('one rate budget (docs/contract.md §7)', () => {
  it('answers 429 request_limit_exceeded with Retry-After, and UpstreamError directly, when no slot comes before the deadline', async () => {
    const handler = await audit.container({ DIGICERT_RATE_LIMIT_PER_5S: '1' });
    expectSent(await http(handler, v2({ orderId: '601', body: '{}' })));
    const response = await http(handler, v2({ orderId: '602', body: '{}' }), context(2_000));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    const detail = detailOf(await thrown(handler({ order_id: 603 }, context(2_000))), 'UpstreamError');
    expect(detail.code).toBe('request_limit_exceeded');
    expect(fake.to(602)).toHaveLength(0);
    expect(fake.to(603)).toHaveLength(0);
  });
});

describe('one rate budget across containers (docs/contract.md §7)', () => {
  it('counts a request sent by one container against another sharing the state table', async () => {
    const table = await audit.dynamo.createTable();
    const env = { STATE_TABLE_NAME: table, DIGICERT_RATE_LIMIT_PER_5S: '1', DIGICERT_MAX_ATTEMPTS: '1' };
    const [first, second] = [await audit.container(env), await audit.container(env)];
    expectSent(await http(first, v2({ orderId: '610', body: '{}' })));
    const response = await http(second, v2({ orderId: '611', body: '{}' }), context(2_000));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(fake.to(611)).toHaveLength(0);
  });
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(4);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
