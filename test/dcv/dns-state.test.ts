/** The DNS-DCV workflow's pure rules: DigiCert's re-check rhythm, the execution's name, why it failed. */
import { describe, expect, it } from 'vitest';
import { executionName, nextCheckSeconds, WORKFLOW_LIMIT_SECONDS } from '../../functions/dcv/dns/state.js';
import { reasonOf } from '../../functions/dcv/dns/tasks.js';

describe('nextCheckSeconds', () => {
  it.each([
    [0, 60],
    [14 * 60, 60],
    [15 * 60, 300],
    [74 * 60, 300],
    [75 * 60, 900],
    [20 * 3600, 900],
    // Never past the day's end: the last wait is what is left of it.
    [WORKFLOW_LIMIT_SECONDS - 100, 100],
    [WORKFLOW_LIMIT_SECONDS + 5, 1],
  ])('after %i s waits %i s', (elapsed, wait) => {
    expect(nextCheckSeconds(elapsed)).toBe(wait);
  });
});

describe('executionName', () => {
  it('is dcv-<order>-<first 16 characters of the value>, within Step Functions rules', () => {
    expect(executionName(123, 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc')).toBe('dcv-123-fdy6m0wy5lq063sz');
    expect(executionName(999_999_999_999, 'a.b/c d'.repeat(10))).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});

describe('reasonOf', () => {
  const state = { expired: false, gave_up: false } as Parameters<typeof reasonOf>[0];

  it.each([
    ['the error that sent it to the cleanup', state, { Error: 'DnsRecordConflict' }, 'DnsRecordConflict'],
    ['an expired value', { ...state, expired: true, gave_up: true }, undefined, 'RandomValueExpired'],
    ['the day over', { ...state, gave_up: true }, undefined, 'GaveUp'],
    ['nothing known', state, { Error: ' ' }, 'NotValidated'],
  ])('names %s', (_, given, error, reason) => {
    expect(reasonOf(given, error)).toBe(reason);
  });
});
