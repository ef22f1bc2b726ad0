/**
 * The request schema of docs/contract.md §1, shared by every entry point: the HTTP body, direct and
 * scheduled payloads, batches, the CLI and CDK synth (which validates schedule payloads with it).
 */
// zod/mini: the same engine and error messages as `zod` (with its English locale, below), without
// the classic API's methods on every schema, which also pull in JSON Schema generation: a smaller
// bundle. tools/openapi.ts derives the documented schema from these.
import {
  array,
  config,
  type core,
  globalRegistry,
  maxLength,
  minLength,
  number,
  optional,
  type output,
  pipe,
  regex,
  strictObject,
  string,
  transform,
  union,
  type ZodMiniType,
} from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE, REQUEST_LIMITS } from '../app/contract.js';
import {
  type Checked,
  checkEmailDomain,
  checkLocale,
  normaliseDomain,
  normaliseEmail,
} from '../dcv/rules.js';
import { type Issue, ValidationError } from '../lib/errors.js';

const {
  maxOrderIdDigits: MAX_ORDER_ID_DIGITS,
  maxApprovalEmails: MAX_APPROVAL_EMAILS,
  maxBatchOrders: MAX_BATCH_ORDERS,
} = REQUEST_LIMITS;
const MAX_ORDER_ID = 10 ** MAX_ORDER_ID_DIGITS - 1;

// zod's own messages for the type errors the schema does not word itself ("Invalid input: expected
// array, received string"); zod/mini would otherwise say "Invalid input". The classic API sets the
// same locale, so a process that loads both (the CLI, the CDK app) sees one behaviour.
config(en());

const MAX_KEY_SHOWN = 64;
const ORDER_ID_RULE = `must be a positive integer of at most ${MAX_ORDER_ID_DIGITS} digits`;

/** Parses an order id given as a number or a decimal digit string; `undefined` if it is not one. */
export function parseOrderId(input: unknown): number | undefined {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input > 0 && input <= MAX_ORDER_ID ? input : undefined;
  }
  if (typeof input === 'string' && /^[0-9]{1,12}$/.test(input)) {
    const value = Number(input);
    return value > 0 ? value : undefined;
  }
  return undefined;
}

/** Zod's type error, in the contract's words: a missing field is "required", a wrong type "must be a string". */
const stringError = {
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string'),
};

/** Documentation of a field, for the OpenAPI document (`tools/openapi.ts`). */
interface FieldMeta {
  readonly description: string;
  readonly examples: readonly string[];
}

/** `schema`, documented: the classic API's `.meta()`. */
function documented<T extends core.$ZodType>(schema: T, meta: FieldMeta): T {
  globalRegistry.add(schema, { description: meta.description, examples: [...meta.examples] });
  return schema;
}

/** Reports a broken rule from a transform (the classic API's `ctx.addIssue`). */
function addIssue(
  ctx: core.ParsePayload,
  message: string,
  input: unknown,
  path: readonly PropertyKey[] = [],
): void {
  ctx.issues.push({ code: 'custom', message, input, path: [...path] });
}

/** Results kept per rule; beyond it the memory starts over (a bound, not a cache policy). */
const MAX_REMEMBERED = 256;

/**
 * `check`, remembering its last results: the rules are pure, and a warm container sees the same
 * domains and addresses again and again, while checking one (punycode, the Public Suffix List) costs
 * more than a map lookup on every request.
 */
function remembered<T extends string>(check: (value: string) => Checked<T>): (value: string) => Checked<T> {
  const results = new Map<string, Checked<T>>();
  return (value) => {
    let result = results.get(value);
    if (result === undefined) {
      result = check(value);
      if (results.size >= MAX_REMEMBERED) results.clear();
      results.set(value, result);
    }
    return result;
  };
}

function checked<T extends string>(
  rule: (value: string) => Checked<T>,
  description: string,
  example: string,
) {
  const check = remembered(rule);
  return pipe(
    documented(string(stringError), { description, examples: [example] }),
    transform((value: string, ctx): T => {
      const result = check(value);
      if (result.ok) return result.value;
      addIssue(ctx, result.rule, value);
      return value as T;
    }),
  );
}

const orderId = pipe(
  union([number(), string()], { error: ORDER_ID_RULE }),
  transform((value: number | string, ctx): number => {
    const parsed = parseOrderId(value);
    if (parsed === undefined) {
      addIssue(ctx, ORDER_ID_RULE, value);
      return 0;
    }
    return parsed;
  }),
);

const approvalEmailShape = strictObject({
  domain: checked(
    normaliseDomain,
    'Domain scope of the email: a fully qualified domain name, lower-cased; one leading "*." allowed; IDNs as Unicode or valid punycode (sent as punycode); never a public suffix itself (ICANN section of the Public Suffix List: co.uk is refused, example.co.uk accepted).',
    'example.com',
  ),
  email: checked(
    normaliseEmail,
    `The DCV mailbox: an addr-spec of at most ${REQUEST_LIMITS.maxEmailLength} characters, either a constructed address (admin@, administrator@, webmaster@, hostmaster@, postmaster@) at the domain or a parent, or a DNS TXT contact.`,
    'admin@example.com',
  ),
  email_domain: optional(
    documented(string(stringError), {
      description:
        'The base domain of the DCV email when it differs from the domain being validated: the domain itself or one of its parents, never a bare TLD or another public suffix (ICANN section of the Public Suffix List).',
      examples: ['example.com'],
    }),
  ),
});

type ApprovalEmailInput = output<typeof approvalEmailShape>;

/** `checkEmailDomain` remembered like the field rules; the key is the pair, `email_domain` length-prefixed. */
const emailDomainCheck = (() => {
  const check = remembered((pair: string) => {
    const colon = pair.indexOf(':');
    const end = colon + 1 + Number(pair.slice(0, colon));
    return checkEmailDomain(pair.slice(colon + 1, end), pair.slice(end));
  });
  return (emailDomain: string, domain: string) => check(`${emailDomain.length}:${emailDomain}${domain}`);
})();
type ApprovalEmailOutput = Omit<ApprovalEmailInput, 'email_domain'> & { email_domain?: string };

const approvalEmail = pipe(
  approvalEmailShape,
  transform((item: ApprovalEmailInput, ctx): ApprovalEmailOutput => {
    if (item.email_domain === undefined) return { domain: item.domain, email: item.email };
    const result = emailDomainCheck(item.email_domain, item.domain);
    if (!result.ok) {
      addIssue(ctx, result.rule, item.email_domain, ['email_domain']);
      return item;
    }
    return { domain: item.domain, email: item.email, email_domain: result.value };
  }),
);

const bodyShape = {
  domain_approval_emails: optional(
    array(approvalEmail).check(
      minLength(1, { error: "must list at least 1 item; omit the field for DigiCert's default recipients" }),
      maxLength(MAX_APPROVAL_EMAILS, { error: `must list at most ${MAX_APPROVAL_EMAILS} items` }),
    ),
  ),
  locale: optional(
    checked(
      checkLocale,
      'Language of the emails: `xx` or `xx_YY`; DigiCert decides whether it supports it.',
      'en',
    ),
  ),
};

/** The body DigiCert receives (and the HTTP body this function accepts): docs/contract.md §1 without `order_id`. */
export const resendBodySchema = strictObject(bodyShape);

/** One logical request: one order, with the optional recipients and locale. */
export const resendRequestSchema = strictObject({ order_id: orderId, ...bodyShape });

const idempotencyKey = optional(
  documented(string(stringError).check(regex(IDEMPOTENCY_KEY_PATTERN, { error: IDEMPOTENCY_KEY_RULE })), {
    description:
      'Names the delivery: a repeat with the same key (and the same request) is answered from the recorded outcome instead of calling DigiCert again. Default: the Lambda request id (kept across Lambda retries), or the EventBridge event id.',
    examples: ['renewals-2026-12-01'],
  }),
);

/** A single direct or scheduled request: one order, plus the delivery's optional `idempotency_key`. */
export const directRequestSchema = strictObject({
  order_id: orderId,
  ...bodyShape,
  idempotency_key: idempotencyKey,
});

/** A batch of direct or scheduled requests, with the delivery's optional `idempotency_key`. */
export const batchRequestSchema = strictObject({
  idempotency_key: idempotencyKey,
  orders: array(resendRequestSchema).check(
    minLength(1, { error: 'must list at least 1 order' }),
    maxLength(MAX_BATCH_ORDERS, { error: `must list at most ${MAX_BATCH_ORDERS} orders` }),
  ),
});

export type ResendBody = output<typeof resendBodySchema>;
export type ResendRequest = output<typeof resendRequestSchema>;
export type BatchRequest = output<typeof batchRequestSchema>;
export type ApprovalEmail = NonNullable<ResendBody['domain_approval_emails']>[number];

/** Turns zod's issues into the contract's: one per problem, with a dotted field path and the rule. */
export function toIssues(issues: readonly core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path].map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          // A key is the caller's text: long ones are cut so that errors stay small.
          field: [...path, key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN)}…` : key].join('.'),
          message: 'is not a known field; check its spelling (see the API documentation)',
          code: 'invalid_input',
        });
      }
      continue;
    }
    const field = path.join('.');
    out.push({
      field,
      message: issue.message,
      code: path[path.length - 1] === 'order_id' ? 'invalid_order_id' : 'invalid_input',
    });
  }
  return out;
}

/**
 * Validates `input` against `schema`, returning the normalised value or throwing a
 * `ValidationError` that lists every problem.
 */
export function parseOrThrow<T extends ZodMiniType>(
  schema: T,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toIssues(result.error.issues, prefix));
}

/** The DigiCert body of a request: every validated field except `order_id`. */
export function toDigiCertBody(request: ResendRequest): ResendBody {
  const { order_id: _orderId, ...body } = request;
  return body;
}

/** One delivery's orders, as every way in hands them to the use case: a single order or a batch. */
export type ResendPayload = (
  | { readonly kind: 'single'; readonly request: ResendRequest }
  | { readonly kind: 'batch'; readonly orders: readonly ResendRequest[] }
) & {
  /** The delivery id the sender gave (`idempotency_key`), if any (docs/contract.md §6). */
  readonly idempotencyKey?: string;
};
