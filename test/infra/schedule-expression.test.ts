import { describe, expect, it } from 'vitest';
import { checkScheduleExpression, isTimeZone } from '../../infra/schedule-expression.js';

describe('schedule expressions', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(30 days)',
    'cron(0 6 * * ? *)',
    'cron(15 10 ? * 6L 2030-2035)',
    'cron(0/15 * * * ? *)',
    'cron(0 8 1,15 * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 9 ? JAN,JUL 2#1 *)',
    'cron(0 9 L * ? *)',
    'cron(0 9 15W * ? *)',
    'at(2030-01-31T23:59:59)',
  ])('accepts %s', (expression) => {
    expect(checkScheduleExpression(expression)).toBeUndefined();
  });

  it.each([
    ['rate(0 minutes)', /below 1/],
    ['rate(1 minutes)', /singular/],
    ['rate(2 day)', /plural/],
    ['rate(5 weeks)', /must be/],
    ['cron(0 6 * * *)', /6 fields/],
    ['cron(0 6 * * * *)', /exactly one/],
    ['cron(0 6 ? * ? *)', /exactly one/],
    ['cron(60 6 * * ? *)', /minutes/],
    ['cron(0 6 32 * ? *)', /day-of-month/],
    ['cron(0 6 ? 13 MON *)', /month/],
    ['cron(0 6 ? * FUNDAY *)', /day-of-week/],
    ['cron(0/0 6 * * ? *)', /increment/],
    ['at(2031-02-29T00:00:00)', /real date/],
    ['at(2030-01-01 10:00:00)', /must be/],
    ['0 6 * * *', /must be/],
  ])('rejects %s', (expression, reason) => {
    expect(checkScheduleExpression(expression)).toMatch(reason);
  });

  it('knows IANA time zones and rejects made-up ones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
