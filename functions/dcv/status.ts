/**
 * An order's DCV status (docs/contract.md §10): what DigiCert knows of the order
 * (`GET /order/certificate/{id}`) and of its domains' validation
 * (`GET /order/certificate/{id}/validation`), as one answer. Each read takes its slots from the
 * shared budget and is retried like every DigiCert call (`resend/digicert-call.ts`). The pending
 * orders' pages, which the pending-DCV sweep walks, are read the same way. It knows nothing of Lambda
 * events or HTTP statuses.
 */
import { EMAIL_DCV_SUNSET_DATE } from '../app/contract.js';
import { DigiCertRequestError, OrderNotFoundError } from '../lib/errors.js';
import { callDigiCert, type DigiCertCallDependencies } from '../resend/digicert-call.js';
import type { AttemptOptions, ReadOutcome } from '../resend/ports.js';

/** DigiCert's order (`GET /order/certificate/{id}`): the fields read here; DigiCert's others are kept. */
export interface DigiCertOrder {
  readonly id: number;
  readonly status: string;
  /** As DigiCert wrote it (ISO 8601, with an offset or without one: then UTC). */
  readonly date_created: string;
  readonly dcv_method?: string | null | undefined;
  readonly certificate?:
    | {
        readonly common_name?: string | null | undefined;
        readonly dns_names?: readonly string[] | null | undefined;
        readonly [extra: string]: unknown;
      }
    | null
    | undefined;
  /**
   * The random value of a token DCV method, when the order has one. Where DigiCert puts its expiry
   * in the order is not documented for every method: `expiration_date` here is read when present.
   */
  readonly dcv_token?:
    | { readonly expiration_date?: string | null | undefined; readonly [extra: string]: unknown }
    | null
    | undefined;
  readonly [extra: string]: unknown;
}

/** One domain of DigiCert's `GET /order/certificate/{id}/validation`. */
export interface DigiCertDomainValidation {
  readonly name: string;
  /** `pending`, `approved` (validated), ... as DigiCert says. */
  readonly status: string;
  readonly method?: string | null | undefined;
  readonly [extra: string]: unknown;
}

export interface DigiCertOrderValidation {
  readonly dns_name_validations: readonly DigiCertDomainValidation[];
  readonly [extra: string]: unknown;
}

/** One page of `GET /order/certificate?filters[status]=pending&offset=N&limit=M`. */
export interface PendingOrdersPage {
  readonly orders: readonly DigiCertOrder[];
  readonly page: {
    readonly total: number;
    readonly limit: number;
    readonly offset: number;
    readonly [extra: string]: unknown;
  };
  readonly [extra: string]: unknown;
}

/** Which page to read. */
export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

/** The DigiCert reads this feature needs (the undici client implements them; one attempt each). */
export interface DigiCertOrderReader {
  orderInfo(orderId: number, apiKey: string, options: AttemptOptions): Promise<ReadOutcome<DigiCertOrder>>;
  orderValidation(
    orderId: number,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<DigiCertOrderValidation>>;
  pendingOrders(
    page: PageRequest,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<PendingOrdersPage>>;
}

/** The answer of docs/contract.md §10, field for field. */
export interface DcvStatus {
  readonly order_id: number;
  readonly order_status: string;
  readonly dcv_method: string | null;
  /** ISO 8601 in UTC, seconds precision: `2026-12-01T10:00:00Z`. */
  readonly created_at: string;
  /** Hours since the order was created, one decimal, while it is pending; `null` once it is not. */
  readonly pending_hours: number | null;
  readonly domains: readonly {
    readonly name: string;
    readonly status: string;
    readonly method: string | null;
  }[];
  readonly random_value_expires_at: string | null;
  /** CA/Browser Forum ballot SC-090: email DCV MUST NOT be used from this date (docs/contract.md §9). */
  readonly email_dcv_sunset: typeof EMAIL_DCV_SUNSET_DATE;
}

export interface DcvStatusDependencies extends DigiCertCallDependencies {
  readonly digicert: DigiCertOrderReader;
}

export type DcvStatusQuery = (orderId: number, options: { deadline: number }) => Promise<DcvStatus>;
export type PendingOrdersQuery = (
  page: PageRequest,
  options: { deadline: number },
) => Promise<PendingOrdersPage>;

/**
 * Builds the status query. The order is read first, then its validation: an unknown order costs one
 * slot of the budget, not two. DigiCert's 404 becomes `OrderNotFoundError`; other failures are the
 * typed errors every DigiCert call throws.
 */
export function createDcvStatusQuery(deps: DcvStatusDependencies): DcvStatusQuery {
  const now = deps.now ?? Date.now;
  return async (orderId, { deadline }) => {
    try {
      const order = await callDigiCert(deps, {
        orderId,
        deadline,
        attempt: (apiKey, options) => deps.digicert.orderInfo(orderId, apiKey, options),
      });
      const validation = await callDigiCert(deps, {
        orderId,
        subject: `the validation of order ${orderId}`,
        deadline,
        attempt: (apiKey, options) => deps.digicert.orderValidation(orderId, apiKey, options),
      });
      return toDcvStatus(orderId, order.outcome.body, validation.outcome.body, now());
    } catch (error) {
      if (error instanceof DigiCertRequestError && error.status === 404) {
        throw new OrderNotFoundError(orderId, { cause: error });
      }
      throw error;
    }
  };
}

/** Builds the read of one order (`GET /order/certificate/{id}`, for the sweep); DigiCert's 404 is `OrderNotFoundError`. */
export function createOrderQuery(
  deps: DcvStatusDependencies,
): (orderId: number, options: { deadline: number }) => Promise<DigiCertOrder> {
  return async (orderId, { deadline }) => {
    try {
      const { outcome } = await callDigiCert(deps, {
        orderId,
        deadline,
        attempt: (apiKey, options) => deps.digicert.orderInfo(orderId, apiKey, options),
      });
      return outcome.body;
    } catch (error) {
      if (error instanceof DigiCertRequestError && error.status === 404) {
        throw new OrderNotFoundError(orderId, { cause: error });
      }
      throw error;
    }
  };
}

/** Builds the read of one page of pending orders (for the pending-DCV sweep). */
export function createPendingOrdersQuery(deps: DcvStatusDependencies): PendingOrdersQuery {
  return async (page, { deadline }) => {
    const { outcome } = await callDigiCert(deps, {
      orderId: 0,
      subject: `the pending orders at offset ${page.offset}`,
      deadline,
      attempt: (apiKey, options) => deps.digicert.pendingOrders(page, apiKey, options),
    });
    return outcome.body;
  };
}

const HOUR_MS = 3_600_000;

/** The §10 answer from DigiCert's two bodies, at `now`. Pure. */
export function toDcvStatus(
  orderId: number,
  order: DigiCertOrder,
  validation: DigiCertOrderValidation,
  now: number,
): DcvStatus {
  // The client accepted only a date it can read (`parseDigiCertDate`), so this is a number.
  const created = parseDigiCertDate(order.date_created) ?? Number.NaN;
  const expires = order.dcv_token?.expiration_date;
  const expiresAt = expires == null ? undefined : parseDigiCertDate(expires);
  const method = order.dcv_method ?? null;
  return {
    order_id: orderId,
    order_status: order.status,
    dcv_method: method,
    created_at: isoSeconds(created),
    pending_hours:
      order.status === 'pending' ? Math.round((Math.max(0, now - created) / HOUR_MS) * 10) / 10 : null,
    domains: validation.dns_name_validations.map(({ name, status, method: domainMethod }) => ({
      name,
      status,
      method: domainMethod ?? method,
    })),
    random_value_expires_at: expiresAt === undefined ? null : isoSeconds(expiresAt),
    email_dcv_sunset: EMAIL_DCV_SUNSET_DATE,
  };
}

/**
 * Epoch milliseconds of a DigiCert date: ISO 8601 with `T` or a space, with an offset or `Z`, or
 * without either (read as UTC, as DigiCert's API answers in UTC); `undefined` when it is not one.
 */
export function parseDigiCertDate(value: string): number | undefined {
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      value.trim(),
    );
  if (!match) return undefined;
  const [, date, time = '00:00:00', zone = 'Z'] = match;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const parsed = Date.parse(`${date}T${time}${offset}`);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
