import { describe, expect, it } from 'vitest';
import { MemorySweepLedger } from '../../../functions/dcv/sweep/ledger.js';
import {
  addCounts,
  countOrder,
  NO_COUNTS,
  planOrder,
  type SweepOrder,
  type SweepSettings,
  summarize,
} from '../../../functions/dcv/sweep/plan.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const settings = (policy: SweepSettings['policy']): SweepSettings => ({
  policy,
  resendAfterHours: 24,
  cooldownHours: 72,
});

function order(overrides: Partial<SweepOrder> = {}): SweepOrder {
  return {
    id: 1001,
    status: 'pending',
    createdAt: NOW - 30 * HOUR,
    dcvMethod: 'email',
    randomValueExpiresAt: undefined,
    dnsNames: ['example.com'],
    ...overrides,
  };
}

const plan = (
  o: SweepOrder,
  policy: SweepSettings['policy'],
  extra: Partial<Parameters<typeof planOrder>[1]> = {},
) =>
  planOrder(o, {
    settings: settings(policy),
    now: NOW,
    sweepId: 'sweep-b',
    claim: undefined,
    migratable: false,
    ...extra,
  });

describe('what the sweep does with one order', () => {
  it('resends an email-DCV order that has waited at least the resend-after hours, under resend', () => {
    expect(plan(order(), 'resend')).toEqual({
      order_id: 1001,
      dcv_method: 'email',
      pending_hours: 30,
      action: 'resend',
      reason: 'email DCV pending 30 h, at least 24 h',
    });
  });

  it('sends nothing under report, and says what it saw', () => {
    expect(plan(order(), 'report')).toMatchObject({
      action: 'none',
      reason: expect.stringContaining('the policy is report'),
    });
  });

  it('leaves an email order alone until it has waited long enough', () => {
    expect(plan(order({ createdAt: NOW - 3.26 * HOUR }), 'resend')).toMatchObject({
      action: 'none',
      pending_hours: 3.3,
      reason: 'email DCV pending 3.3 h, resent after 24 h',
    });
  });

  it('never resends a DNS or HTTP order, nor one with no method', () => {
    expect(plan(order({ dcvMethod: 'dns-txt-token' }), 'resend')).toMatchObject({
      action: 'none',
      reason: 'DNS or HTTP DCV (dns-txt-token): no email to resend',
    });
    expect(plan(order({ dcvMethod: null }), 'resend')).toMatchObject({ action: 'none' });
  });

  it('leaves an order issued since the list was read alone', () => {
    expect(plan(order({ status: 'issued' }), 'resend')).toMatchObject({
      action: 'none',
      pending_hours: null,
      reason: 'no longer pending (issued)',
    });
  });

  it('holds back an order another sweep acted on within the cooldown, not one of its own claim or an old one', () => {
    const recent = { sweepId: 'sweep-a', actedAt: NOW - 5 * HOUR };
    expect(plan(order(), 'resend', { claim: recent })).toMatchObject({
      action: 'none',
      reason: 'acted on 5 h ago by another sweep; cooldown 72 h',
    });
    expect(plan(order(), 'resend', { claim: { sweepId: 'sweep-b', actedAt: NOW - HOUR } })).toMatchObject({
      action: 'resend',
    });
    expect(
      plan(order(), 'resend', { claim: { sweepId: 'sweep-a', actedAt: NOW - 73 * HOUR } }),
    ).toMatchObject({
      action: 'resend',
    });
  });

  it('moves an order to DNS DCV under migrate only when every domain is in an allowed zone', () => {
    expect(plan(order(), 'migrate', { migratable: true })).toMatchObject({ action: 'migrate' });
    expect(plan(order(), 'migrate', { migratable: false })).toMatchObject({ action: 'resend' });
  });
});

describe('what the sweep counts', () => {
  it('counts pending orders by method, the oldest, values expiring within 7 days and orders past the 10-day re-checks', () => {
    let counts = NO_COUNTS;
    counts = countOrder(counts, order({ createdAt: NOW - 11 * 24 * HOUR }), NOW);
    counts = countOrder(
      counts,
      order({ id: 2, dcvMethod: 'dns-txt-token', randomValueExpiresAt: NOW + 6 * 24 * HOUR }),
      NOW,
    );
    counts = countOrder(
      counts,
      order({ id: 3, dcvMethod: 'dns-txt-token', randomValueExpiresAt: NOW + 8 * 24 * HOUR }),
      NOW,
    );
    counts = countOrder(counts, order({ id: 4, status: 'issued' }), NOW);
    counts = countOrder(counts, order({ id: 5, dcvMethod: null }), NOW);

    expect(summarize(counts, NOW)).toEqual({
      pending_orders: 4,
      by_dcv_method: { email: 1, 'dns-txt-token': 2, unknown: 1 },
      oldest_pending_hours: 264,
      random_values_expiring_soon: 1,
      pending_past_recheck_window: 1,
      resends: 0,
      migrations: 0,
      errors: 0,
    });
  });

  it('sums the counts of parts into the whole, keeping the oldest', () => {
    const a = countOrder(NO_COUNTS, order({ createdAt: NOW - 10 * HOUR }), NOW);
    const b = countOrder(NO_COUNTS, order({ id: 2, createdAt: NOW - 40 * HOUR }), NOW);
    expect(summarize(addCounts(a, b), NOW)).toMatchObject({ pending_orders: 2, oldest_pending_hours: 40 });
    expect(summarize(NO_COUNTS, NOW).oldest_pending_hours).toBe(0);
  });
});

describe('the in-process ledger', () => {
  it('grants an order to one sweep within the cooldown, to the same sweep again, and to another after it', async () => {
    const ledger = new MemorySweepLedger();
    expect(await ledger.claim(7, 'a', NOW, 72 * HOUR)).toEqual({ claimed: true });
    expect(await ledger.claim(7, 'b', NOW + HOUR, 72 * HOUR)).toEqual({
      claimed: false,
      sweepId: 'a',
      actedAt: NOW,
    });
    expect(await ledger.claim(7, 'a', NOW + HOUR, 72 * HOUR)).toEqual({ claimed: true });
    expect(await ledger.claim(7, 'b', NOW + 73 * HOUR, 72 * HOUR)).toEqual({ claimed: true });
  });

  it('completes a sweep once, when its last page is read and every part done, whatever the order', async () => {
    const ledger = new MemorySweepLedger();
    const one = countOrder(NO_COUNTS, order(), NOW);
    expect(await ledger.pageRead('s', { offset: 0, parts: 2, last: false })).toEqual({ first: true });
    expect(await ledger.partDone('s', '0:0', one)).toEqual({ first: true });
    expect(await ledger.partDone('s', '0:0', one)).toEqual({ first: false });
    expect(await ledger.pageRead('s', { offset: 1000, parts: 0, last: true })).toEqual({ first: true });
    const done = await ledger.partDone('s', '0:1', one);
    expect(done.completed?.pending).toBe(2);
    expect(await ledger.pageRead('s', { offset: 1000, parts: 0, last: true })).toEqual({ first: false });
  });
});
