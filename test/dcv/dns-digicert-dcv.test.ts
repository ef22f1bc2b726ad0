/**
 * The DNS DCV calls (docs/contract.md §12) over a fake DigiCert port: each goes through the shared
 * call loop (its retries and typed errors), DigiCert's 404 is the order's absence, and a check that
 * finds nothing yet is an answer, not an error.
 */
import { describe, expect, it } from 'vitest';
import {
  createDnsDcvCalls,
  type DcvCheckAnswer,
  type DigiCertDnsDcv,
  type DigiCertRandomValue,
} from '../../functions/dcv/dns/digicert-dcv.js';
import { DigiCertRequestError, OrderNotFoundError, UpstreamError } from '../../functions/lib/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../functions/resend/digicert-call.js';
import type { FailedAttempt, ReadOutcome } from '../../functions/resend/ports.js';
import { StaticApiKeyProvider } from '../../functions/secrets/static-api-key-provider.js';
import { CANARY_KEY } from '../support/harness.js';
import { unlimited } from '../support/limiters.js';

const VALUE: DigiCertRandomValue = {
  dcv_random_value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
  expiration_date: '2027-01-06T00:00:00+00:00',
};
const NOT_FOUND: FailedAttempt = {
  kind: 'rejected',
  status: 404,
  errors: [{ code: 'not_found|order', message: 'The order could not be found.' }],
};
const UNAVAILABLE: FailedAttempt = {
  kind: 'unavailable',
  status: 503,
  retryable: true,
  retryAfterSeconds: undefined,
  detail: 'DigiCert answered HTTP 503',
};

/** A port answering each call from its list in turn (the last repeats), counting the calls. */
function fakeDigiCert(answers: {
  setDcvMethod?: ReadOutcome<DigiCertRandomValue>[];
  dcvRandomValue?: ReadOutcome<DigiCertRandomValue>[];
  checkDcv?: ReadOutcome<DcvCheckAnswer>[];
}): DigiCertDnsDcv & { calls: string[] } {
  const calls: string[] = [];
  const take = <T>(name: string, list: T[] | undefined): Promise<T> => {
    calls.push(name);
    const answer = list && list.length > 1 ? list.shift() : list?.[0];
    if (answer === undefined) throw new Error(`no answer scripted for ${name}`);
    return Promise.resolve(answer);
  };
  return {
    calls,
    setDcvMethod: (_id, method) => take(`setDcvMethod ${method}`, answers.setDcvMethod),
    dcvRandomValue: () => take('dcvRandomValue', answers.dcvRandomValue),
    checkDcv: () => take('checkDcv', answers.checkDcv),
  };
}

function calls(digicert: DigiCertDnsDcv) {
  return createDnsDcvCalls({
    apiKeys: new StaticApiKeyProvider(CANARY_KEY),
    limiter: unlimited,
    retry: DEFAULT_RETRY_POLICY,
    attemptTimeoutMs: 1_000,
    digicert,
    sleep: () => Promise.resolve(),
  });
}

const deadline = () => ({ deadline: Date.now() + 10_000 });

describe('switchToDns', () => {
  it('answers the new random value with its expiry in UTC seconds', async () => {
    const digicert = fakeDigiCert({ setDcvMethod: [{ kind: 'found', status: 200, body: VALUE }] });

    const value = await calls(digicert).switchToDns(42, 'dns-cname-token', deadline());

    expect(value).toEqual({ randomValue: VALUE.dcv_random_value, expiresAt: '2027-01-06T00:00:00Z' });
    expect(digicert.calls).toEqual(['setDcvMethod dns-cname-token']);
  });

  it("retries DigiCert's 503 like every call, then answers", async () => {
    const digicert = fakeDigiCert({
      setDcvMethod: [UNAVAILABLE, { kind: 'found', status: 200, body: VALUE }],
    });

    const value = await calls(digicert).switchToDns(42, 'dns-txt-token', deadline());

    expect(value.randomValue).toBe(VALUE.dcv_random_value);
    expect(digicert.calls).toHaveLength(2);
  });

  it("throws OrderNotFoundError for DigiCert's 404, after one call", async () => {
    const digicert = fakeDigiCert({ setDcvMethod: [NOT_FOUND] });

    const error = await calls(digicert)
      .switchToDns(42, 'dns-txt-token', deadline())
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(OrderNotFoundError);
    expect(error).toMatchObject({ orderId: 42, status: 404 });
    expect(digicert.calls).toHaveLength(1);
  });
});

describe('currentRandomValue', () => {
  it('names the call in the error when DigiCert stays unavailable', async () => {
    const digicert = fakeDigiCert({ dcvRandomValue: [UNAVAILABLE] });

    const error = await calls(digicert)
      .currentRandomValue(42, deadline())
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toContain('the DCV random value of order 42');
  });
});

describe('checkDcv', () => {
  it('answers validated with the order status and the certificate id', async () => {
    const digicert = fakeDigiCert({
      checkDcv: [
        {
          kind: 'found',
          status: 200,
          body: {
            validated: true,
            body: { order_status: 'issued', dcv_status: 'valid', certificate_id: 7 },
          },
        },
      ],
    });

    const result = await calls(digicert).checkDcv(42, deadline());

    expect(result).toEqual({ validated: true, orderStatus: 'issued', certificateId: 7 });
  });

  it('answers not yet, without retrying, when DigiCert found no record', async () => {
    const digicert = fakeDigiCert({
      checkDcv: [
        {
          kind: 'found',
          status: 400,
          body: {
            validated: false,
            codes: ['invalid_dns_txt'],
            message: 'Could not find a valid TXT record',
          },
        },
      ],
    });

    const result = await calls(digicert).checkDcv(42, deadline());

    expect(result).toEqual({
      validated: false,
      codes: ['invalid_dns_txt'],
      message: 'Could not find a valid TXT record',
      expired: false,
    });
    expect(digicert.calls).toHaveLength(1);
  });

  it('says so when the random value expired', async () => {
    const digicert = fakeDigiCert({
      checkDcv: [
        {
          kind: 'found',
          status: 400,
          body: { validated: false, codes: ['random_value_expired'], message: 'expired' },
        },
      ],
    });

    const result = await calls(digicert).checkDcv(42, deadline());

    expect(result).toMatchObject({ validated: false, expired: true });
  });

  it("throws DigiCertRequestError for a refusal that is not 'not yet' (403)", async () => {
    const digicert = fakeDigiCert({
      checkDcv: [
        {
          kind: 'rejected',
          status: 403,
          errors: [{ code: 'access_denied|missing_permission', message: 'Permission denied' }],
        },
      ],
    });

    const error = await calls(digicert)
      .checkDcv(42, deadline())
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect(error).not.toBeInstanceOf(OrderNotFoundError);
    expect(error).toMatchObject({ status: 403 });
  });
});
