/** The pure part of an order's DCV status (docs/contract.md §10): DigiCert's two bodies -> the answer. */
import { describe, expect, it } from 'vitest';
import { type DigiCertOrder, parseDigiCertDate, toDcvStatus } from '../../functions/dcv/status.js';

const NOW = Date.parse('2026-12-07T12:30:00Z');
const ORDER: DigiCertOrder = {
  id: 1,
  status: 'pending',
  date_created: '2026-12-01T10:00:00+00:00',
  dcv_method: 'email',
};

describe('toDcvStatus', () => {
  it('counts pending hours from the creation time, to one decimal', () => {
    const status = toDcvStatus(1, ORDER, { dns_name_validations: [] }, NOW);

    expect(status).toMatchObject({ created_at: '2026-12-01T10:00:00Z', pending_hours: 146.5 });
  });

  it("gives a domain without its own method the order's, and null when neither has one", () => {
    const validation = { dns_name_validations: [{ name: 'a.example', status: 'pending' }] };

    expect(toDcvStatus(1, ORDER, validation, NOW).domains).toEqual([
      { name: 'a.example', status: 'pending', method: 'email' },
    ]);
    expect(toDcvStatus(1, { ...ORDER, dcv_method: null }, validation, NOW)).toMatchObject({
      dcv_method: null,
      domains: [{ method: null }],
    });
  });

  it("reads the token's expiry when the order has one", () => {
    const order = {
      ...ORDER,
      dcv_method: 'dns-txt-token',
      dcv_token: { expiration_date: '2026-12-31T00:00:00+00:00' },
    };

    expect(toDcvStatus(1, order, { dns_name_validations: [] }, NOW).random_value_expires_at).toBe(
      '2026-12-31T00:00:00Z',
    );
  });

  it('never answers negative pending hours for a clock behind DigiCert', () => {
    expect(
      toDcvStatus(1, ORDER, { dns_name_validations: [] }, Date.parse('2026-11-30T00:00:00Z')).pending_hours,
    ).toBe(0);
  });
});

describe('parseDigiCertDate', () => {
  it.each([
    ['2026-12-01T10:00:00+00:00', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01 10:00:00', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T12:00:00+0200', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
  ])('reads %s as UTC where it gives no offset', (text, iso) => {
    expect(new Date(parseDigiCertDate(text) ?? Number.NaN).toISOString()).toBe(iso);
  });

  it.each([['yesterday'], ['2026-13-45T99:00:00Z'], ['']])('refuses %j', (text) => {
    expect(parseDigiCertDate(text)).toBeUndefined();
  });
});
