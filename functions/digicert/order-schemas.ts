/**
 * The shapes of DigiCert's order reads (docs/contract.md §10, and the pending orders of the sweep)
 * and of its DCV answers (§12: the random value, the check), checked before anything uses them: the fields this product reads are required or typed, every other field DigiCert sends is
 * kept as it came (`looseObject`), so a DigiCert release that adds fields changes nothing. A body
 * without a required field is reported naming it (`describeShapeIssue`), never a crash.
 */
import {
  array,
  type core,
  looseObject,
  nullable,
  number,
  optional,
  refine,
  string,
  type ZodMiniType,
} from 'zod/mini';
import type { DigiCertDcvCheckBody, DigiCertRandomValue } from '../dcv/dns/digicert-dcv.js';
import {
  type DigiCertOrder,
  type DigiCertOrderValidation,
  type PendingOrdersPage,
  parseDigiCertDate,
} from '../dcv/status.js';

/** An optional field DigiCert may also send as `null`: both read as absent. */
const absent = <T extends core.SomeType>(schema: T) => optional(nullable(schema));

const date = string().check(refine((value) => parseDigiCertDate(value) !== undefined, 'is not a date'));

const order = looseObject({
  id: number(),
  status: string(),
  date_created: date,
  dcv_method: absent(string()),
  certificate: absent(
    looseObject({
      common_name: absent(string()),
      dns_names: absent(array(string())),
    }),
  ),
  dcv_token: absent(looseObject({ expiration_date: absent(date) })),
});

const orderValidation = looseObject({
  dns_name_validations: array(
    looseObject({
      name: string(),
      status: string(),
      method: absent(string()),
    }),
  ),
});

const pendingOrdersPage = looseObject({
  orders: array(order),
  page: looseObject({ total: number(), limit: number(), offset: number() }),
});

/** `dcv-method` (a token method) and `dcv-random-value`. */
const randomValue = looseObject({
  dcv_random_value: string().check(refine((value) => value.trim() !== '', 'is empty')),
  expiration_date: date,
});

/** `check-dcv`'s 200. */
const dcvCheck = looseObject({
  order_status: string(),
  dcv_status: string(),
  certificate_id: absent(number()),
  dns_name_validations: absent(array(looseObject({ dns_name: string(), status: string() }))),
});

/** A checked body, or what is wrong with it. */
export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

function reader<T>(schema: ZodMiniType<T>): (body: unknown) => Read<T> {
  return (body) => {
    const result = schema.safeParse(body);
    return result.success
      ? { ok: true, value: result.data }
      : { ok: false, problem: describeShapeIssue(result.error.issues, body) };
  };
}

// Typed by the feature's port; the schemas' output must fit it (a compile error otherwise).
export const readOrder: (body: unknown) => Read<DigiCertOrder> = reader(order);
export const readOrderValidation: (body: unknown) => Read<DigiCertOrderValidation> = reader(orderValidation);
export const readPendingOrdersPage: (body: unknown) => Read<PendingOrdersPage> = reader(pendingOrdersPage);
export const readRandomValue: (body: unknown) => Read<DigiCertRandomValue> = reader(randomValue);
export const readDcvCheck: (body: unknown) => Read<DigiCertDcvCheckBody> = reader(dcvCheck);

/**
 * The first problem of a body, naming the field (`certificate.dns_names.0`): what the caller's
 * `UpstreamError` says. DigiCert's values are not repeated (they could be anything).
 */
function describeShapeIssue(issues: readonly core.$ZodIssue[], body: unknown): string {
  const [first] = issues;
  if (first === undefined) return 'an unexpected body';
  const field = first.path.map(String).join('.') || 'the body';
  if (first.code === 'invalid_type' && valueAt(body, first.path) === undefined) return `no \`${field}\``;
  return `\`${field}\` ${first.code === 'custom' ? first.message : `of the wrong type (expected ${'expected' in first ? first.expected : 'another value'})`}`;
}

/** The value at `path` in `body`, `undefined` where it stops. */
function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
