/**
 * DigiCert's side of DNS DCV (docs/contract.md §12): move an order to `dns-txt-token` or
 * `dns-cname-token` (`PUT /order/certificate/{id}/dcv-method`), read its current random value
 * (`PUT .../dcv-random-value`), and ask DigiCert to check now (`PUT .../check-dcv`). Each call takes
 * its slots from the shared budget and is retried like every DigiCert call
 * (`resend/digicert-call.ts`); DigiCert's 404 is `OrderNotFoundError`. A check that finds no record
 * yet is an answer (`validated: false`), not an error: the workflow waits and checks again. It
 * knows nothing of Lambda events, HTTP statuses or Route 53.
 */
import type { DnsDcvMethod } from '../../app/contract.js';
import { DigiCertRequestError, OrderNotFoundError, UpstreamError } from '../../lib/errors.js';
import { callDigiCert, type DigiCertCallDependencies } from '../../resend/digicert-call.js';
import type { AttemptOptions, AttemptOutcome, ReadOutcome } from '../../resend/ports.js';
import { parseDigiCertDate } from '../status.js';

/** The DCV methods DigiCert's `dcv-method` accepts. */
export type DigiCertDcvMethod = 'email' | DnsDcvMethod | 'http-token' | 'http-token-dynamic';

/** DigiCert's `{dcv_random_value, expiration_date}` (of `dcv-method` and `dcv-random-value`); other fields kept. */
export interface DigiCertRandomValue {
  readonly dcv_random_value: string;
  /** As DigiCert wrote it; the client accepted only a date `parseDigiCertDate` reads. */
  readonly expiration_date: string;
  readonly [extra: string]: unknown;
}

/** DigiCert's 200 to `check-dcv`; other fields kept. */
export interface DigiCertDcvCheckBody {
  readonly order_status: string;
  /** `valid` once DigiCert found the value for every domain it checked. */
  readonly dcv_status: string;
  readonly certificate_id?: number | null | undefined;
  readonly dns_name_validations?:
    | readonly { readonly dns_name: string; readonly status: string; readonly [extra: string]: unknown }[]
    | null
    | undefined;
  readonly [extra: string]: unknown;
}

/**
 * What one `check-dcv` told: validated (DigiCert's 200 with `dcv_status: "valid"`), or not yet
 * (a 4xx whose codes are all "not yet" codes, or a 200 with another `dcv_status`).
 */
export type DcvCheckAnswer =
  | { readonly validated: true; readonly body: DigiCertDcvCheckBody }
  | {
      readonly validated: false;
      /** DigiCert's error codes (`invalid_dns_txt`, ...); empty for a 200 that is not `valid`. */
      readonly codes: readonly string[];
      readonly message: string;
    };

/** The DigiCert calls of DNS DCV (the undici client implements them; one attempt each). */
export interface DigiCertDnsDcv {
  /** `204` (`sent`) for `email`; the new random value for a token method. */
  setDcvMethod(
    orderId: number,
    method: DigiCertDcvMethod,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<Extract<AttemptOutcome, { kind: 'sent' }> | ReadOutcome<DigiCertRandomValue>>;
  dcvRandomValue(
    orderId: number,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<DigiCertRandomValue>>;
  checkDcv(orderId: number, apiKey: string, options: AttemptOptions): Promise<ReadOutcome<DcvCheckAnswer>>;
}

/**
 * DigiCert's error codes of `check-dcv` that mean "not found yet", not "never": the record is not
 * there (or not visible to DigiCert yet), or the random value expired (`RANDOM_VALUE_EXPIRED_CODES`:
 * ask for a new one). `invalid_dns_txt` and `file_random_value_not_found` are DigiCert's documented
 * codes; the others are its names for the CNAME and a lookup that failed.
 */
export const NOT_YET_CODES: ReadonlySet<string> = new Set([
  'invalid_dns_txt',
  'invalid_dns_cname',
  'dns_lookup_failed',
  'file_random_value_not_found',
  'random_value_expired',
]);

/**
 * A `check-dcv` refused because the order's random value expired. DigiCert does not document its
 * code for this; `random_value_expired` is the simulator's (dev/digicert-simulator.ts).
 */
export const RANDOM_VALUE_EXPIRED_CODES: ReadonlySet<string> = new Set(['random_value_expired']);

/** An order's random value, in this product's terms. */
export interface RandomValue {
  readonly randomValue: string;
  /** ISO 8601 in UTC, seconds precision: `2027-01-06T00:00:00Z`. */
  readonly expiresAt: string;
}

/** What one check-dcv concluded. */
export type DcvCheckResult =
  | {
      readonly validated: true;
      readonly orderStatus: string;
      readonly certificateId: number | undefined;
    }
  | {
      readonly validated: false;
      readonly codes: readonly string[];
      readonly message: string;
      /** The random value expired: the record must be published again with a new one. */
      readonly expired: boolean;
    };

export interface DnsDcvCalls {
  /** Moves the order to a DNS method; its new random value. */
  switchToDns(orderId: number, method: DnsDcvMethod, options: { deadline: number }): Promise<RandomValue>;
  /** The order's random value (a new one when the old one expired). */
  currentRandomValue(orderId: number, options: { deadline: number }): Promise<RandomValue>;
  /** Asks DigiCert to check the order's DCV now. */
  checkDcv(orderId: number, options: { deadline: number }): Promise<DcvCheckResult>;
}

export interface DnsDcvDependencies extends DigiCertCallDependencies {
  readonly digicert: DigiCertDnsDcv;
}

/** Builds the DNS DCV calls. Each is one `callDigiCert`: budget, retries, key refresh, typed errors. */
export function createDnsDcvCalls(deps: DnsDcvDependencies): DnsDcvCalls {
  return {
    switchToDns: (orderId, method, { deadline }) =>
      orderCall(orderId, async () => {
        const { outcome } = await callDigiCert(deps, {
          orderId,
          subject: `the DCV method of order ${orderId}`,
          deadline,
          attempt: (apiKey, options) => deps.digicert.setDcvMethod(orderId, method, apiKey, options),
        });
        // The client answers `found` for a token method (a 2xx without the value is `unavailable`).
        if (outcome.kind !== 'found') {
          throw new UpstreamError(
            'upstream_unavailable',
            `DigiCert answered without a random value for order ${orderId}`,
          );
        }
        return toRandomValue(outcome.body);
      }),
    currentRandomValue: (orderId, { deadline }) =>
      orderCall(orderId, async () => {
        const { outcome } = await callDigiCert(deps, {
          orderId,
          subject: `the DCV random value of order ${orderId}`,
          deadline,
          attempt: (apiKey, options) => deps.digicert.dcvRandomValue(orderId, apiKey, options),
        });
        return toRandomValue(outcome.body);
      }),
    checkDcv: (orderId, { deadline }) =>
      orderCall(orderId, async () => {
        const { outcome } = await callDigiCert(deps, {
          orderId,
          subject: `the DCV check of order ${orderId}`,
          deadline,
          attempt: (apiKey, options) => deps.digicert.checkDcv(orderId, apiKey, options),
        });
        return toCheckResult(outcome.body);
      }),
  };
}

/** DigiCert's 404 is the order's absence (docs/contract.md §10), as for the status query. */
async function orderCall<T>(orderId: number, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DigiCertRequestError && error.status === 404) {
      throw new OrderNotFoundError(orderId, { cause: error });
    }
    throw error;
  }
}

function toRandomValue(body: DigiCertRandomValue): RandomValue {
  // The client accepted only a date it can read, so this is a number.
  const expires = parseDigiCertDate(body.expiration_date) ?? Number.NaN;
  return { randomValue: body.dcv_random_value, expiresAt: isoSeconds(expires) };
}

/** The check's answer in this product's terms. Pure. */
export function toCheckResult(answer: DcvCheckAnswer): DcvCheckResult {
  if (answer.validated) {
    return {
      validated: true,
      orderStatus: answer.body.order_status,
      certificateId: answer.body.certificate_id ?? undefined,
    };
  }
  return {
    validated: false,
    codes: answer.codes,
    message: answer.message,
    expired: answer.codes.some((code) => RANDOM_VALUE_EXPIRED_CODES.has(code)),
  };
}

function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
