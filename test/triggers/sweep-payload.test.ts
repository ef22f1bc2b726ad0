/**
 * The sweep's payloads (docs/contract.md §11): the direct action as a person or the schedule sends
 * it, and the sweep's own messages on the bulk queue, each refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { isSweepMessage, parseSweepMessage } from '../../functions/dcv/sweep/messages.js';
import { ValidationError } from '../../functions/lib/errors.js';
import { parseDirectInvocation } from '../../functions/triggers/direct-payload.js';
import { SWEEP_PAYLOAD } from '../../infra/constructs/resend-schedules.js';

function issues(payload: unknown): { field: string; message: string }[] {
  try {
    parseDirectInvocation(payload);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues.map(({ field, message }) => ({ field, message }));
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('the sweep action', () => {
  it('reads the schedule’s payload as a sweep that acts', () => {
    expect(parseDirectInvocation(SWEEP_PAYLOAD)).toEqual({ kind: 'action', action: 'sweep', dryRun: false });
  });

  it('reads a dry run with a policy and an offset, also inside an EventBridge event', () => {
    expect(parseDirectInvocation({ action: 'sweep', dry_run: true, policy: 'resend', offset: 1000 })).toEqual(
      {
        kind: 'action',
        action: 'sweep',
        dryRun: true,
        policy: 'resend',
        offset: 1000,
      },
    );
    expect(
      parseDirectInvocation({ 'detail-type': 'x', source: 'y', detail: { action: 'sweep', dry_run: true } }),
    ).toMatchObject({ action: 'sweep', dryRun: true });
  });

  it.each([
    [{ action: 'sweep', dry_run: 'yes' }, 'dry_run', 'must be true or false'],
    [
      { action: 'sweep', dry_run: true, policy: 'fix' },
      'policy',
      'must be one of "report", "resend", "migrate"',
    ],
    [{ action: 'sweep', policy: 'resend' }, 'policy', 'is allowed only with "dry_run": true'],
    [{ action: 'sweep', dry_run: true, offset: -1 }, 'offset', 'must be a whole number, 0 or more'],
    [{ action: 'sweep', offset: 10 }, 'offset', 'is allowed only with "dry_run": true'],
    [{ action: 'sweep', order_id: 1 }, 'order_id', 'is not a known field of the "sweep" action'],
    [{ action: 'sweeep' }, 'action', 'must be one of'],
  ])('refuses %j naming %s', (payload, field, message) => {
    expect(issues(payload)).toContainEqual({ field, message: expect.stringContaining(message) });
  });
});

describe('the sweep’s messages on the bulk queue', () => {
  it('tells a sweep message from a resend payload', () => {
    expect(isSweepMessage({ sweep: { id: 's', policy: 'report', page: { offset: 0 } } })).toBe(true);
    expect(isSweepMessage({ order_id: 1 })).toBe(false);
    expect(isSweepMessage({ orders: [{ order_id: 1 }], sweep: {} })).toBe(false);
  });

  it('reads a page and a part, and refuses a damaged one naming the sweep', () => {
    expect(parseSweepMessage({ sweep: { id: 's', policy: 'report', page: { offset: 0 } } })).toEqual({
      id: 's',
      policy: 'report',
      page: { offset: 0 },
    });
    expect(
      parseSweepMessage({ sweep: { id: 's', policy: 'resend', part: '0:1', orders: [5, 6] } }),
    ).toMatchObject({
      part: '0:1',
      orders: [5, 6],
    });
    expect(() =>
      parseSweepMessage({ sweep: { id: 's', policy: 'resend', part: '0:1', orders: [] } }),
    ).toThrow(ValidationError);
    expect(() => parseSweepMessage({ sweep: { id: 's', policy: 'wipe', page: { offset: 0 } } })).toThrow(
      /sweep/,
    );
  });
});
