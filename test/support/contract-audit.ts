/**
 * The contract audit's harness (the `*-contract.int.test.ts` files): an independent check of the
 * deployable bundle against docs/contract.md, done the way acceptance tests do it. The bundle is
 * built as the stack builds it (`tools/bundle-options.ts`), imported, and driven with events shaped
 * like AWS's published samples (`audit-events.ts`); DigiCert, Secrets Manager and SQS are the
 * audit's own fakes (`audit-fakes.ts`), DynamoDB is dynalite (a third-party emulator). Each
 * "container" is a fresh import of the bundle whose environment is set for its first call.
 *
 * Every response, thrown error and stdout/stderr write is kept, so that each file can end with the
 * canary search for the API key (docs/contract.md §5).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, type MockInstance, vi } from 'vitest';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';
import type { BundleHandler, HttpResult } from './audit-events.js';
import { context } from './audit-events.js';
import { FakeDigiCert, FakeSecretsManager, FakeSqs, SECRET_BARE } from './audit-fakes.js';
import { LocalDnsServer } from './dns-server.js';
import { type Dynalite, startDynalite } from './dynalite.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The `Sunset` header of every resend answer (docs/contract.md §2). */
export const SUNSET = 'Wed, 15 Mar 2028 00:00:00 GMT';

/** The request body of DigiCert's documentation. */
export const DOC_BODY = {
  domain_approval_emails: [
    { domain: 'example.com', email: 'someone@example.com' },
    { domain: 'sub.example2.com', email: 'someone@example2.com', email_domain: 'example2.com' },
  ],
  locale: 'en',
};

/** The function's own variables: none leaks from the test process into a container. */
const FUNCTION_VARS = [
  'DIGICERT_API_KEY_SECRET_ID',
  'DIGICERT_BASE_URL',
  'DIGICERT_TIMEOUT_MS',
  'DIGICERT_MAX_ATTEMPTS',
  'DIGICERT_RATE_LIMIT_PER_5S',
  'DIGICERT_RATE_LIMIT_PER_3MIN',
  'SECRET_CACHE_TTL_SECONDS',
  'STATE_TABLE_NAME',
  'IDEMPOTENCY_TTL_SECONDS',
  'DCV_PRECHECK',
  'DNS_SERVERS',
  'LOG_LEVEL',
  'AWS_LAMBDA_FUNCTION_NAME',
  'FAILURE_QUEUE_URL',
  'ORDERS_QUEUE_URL',
];

export interface ContractAuditOptions {
  /** Start dynalite (`audit.dynamo`). @default false */
  readonly dynamo?: boolean;
  /** Start a loopback DNS server with an MX record for example.com (`audit.dns`). @default false */
  readonly dns?: boolean;
}

export interface ContractAudit {
  readonly fake: FakeDigiCert;
  readonly secrets: FakeSecretsManager;
  readonly sqs: FakeSqs;
  /** Only with `{ dynamo: true }`. */
  readonly dynamo: Dynalite;
  /** Only with `{ dns: true }`. */
  readonly dns: LocalDnsServer;
  /** The spy on `process.stdout.write`, where the function logs. */
  readonly stdout: MockInstance;
  /** A fresh container of the bundle whose environment is `env` over the audit's defaults. */
  container(env: Record<string, string | undefined>): Promise<BundleHandler>;
  /** Every response and thrown error so far, and every stdout/stderr write, for the canary search. */
  seen(): { readonly outputs: readonly string[]; readonly written: readonly string[] };
}

/**
 * Registers the file's `beforeAll` (fakes, servers, the bundle built into a temporary
 * `node_modules` folder, the AWS SDK pointed at the fakes) and `afterAll` (all closed, the
 * environment restored); returns the audit, usable inside tests and later hooks.
 */
export function useContractAudit(options: ContractAuditOptions = {}): ContractAudit {
  const fake = new FakeDigiCert();
  const secrets = new FakeSecretsManager();
  const sqs = new FakeSqs();
  const outputs: string[] = [];
  const savedEnv = { ...process.env };
  let dynamo: Dynalite | undefined;
  let dns: LocalDnsServer | undefined;
  let stdout: MockInstance | undefined;
  let stderr: MockInstance | undefined;
  let outdir = '';
  let bundleUrl = '';
  let instance = 0;

  beforeAll(async () => {
    stdout = vi.spyOn(process.stdout, 'write');
    stderr = vi.spyOn(process.stderr, 'write');
    await Promise.all([fake.start(), secrets.start(), sqs.start()]);
    if (options.dynamo) dynamo = await startDynalite();
    if (options.dns) {
      dns = await LocalDnsServer.start({ txt: {}, caa: {}, mx: { 'example.com': ['mx.example.com'] } });
    }
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDAUDIT',
      AWS_SECRET_ACCESS_KEY: 'audit-secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...(dynamo ? { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint } : {}),
    });
    delete process.env.AWS_SESSION_TOKEN;
    outdir = await mkdtemp(join(tmpdir(), 'dcv-audit-'));
    // Under a node_modules folder, the test runner leaves the bundle to Node: it is loaded as Lambda
    // loads it, untransformed, and each container's import costs milliseconds.
    const bundleDir = join(outdir, 'node_modules', 'dcv-resend-bundle');
    await build(esbuildOptions({ projectRoot: ROOT, outdir: bundleDir }));
    bundleUrl = pathToFileURL(join(bundleDir, BUNDLE_FILE)).href;
  }, 60_000);

  afterAll(async () => {
    stdout?.mockRestore();
    stderr?.mockRestore();
    await Promise.all([fake.close(), secrets.close(), sqs.close(), dynamo?.close(), dns?.close()]);
    if (outdir) await rm(outdir, { recursive: true, force: true });
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  });

  function started<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`${what} is not started: pass it to useContractAudit`);
    return value;
  }

  return {
    fake,
    secrets,
    sqs,
    get dynamo() {
      return started(dynamo, 'dynamo');
    },
    get dns() {
      return started(dns, 'dns');
    },
    get stdout() {
      return started(stdout, 'stdout');
    },
    async container(env) {
      instance += 1;
      const module = (await import(`${bundleUrl}?container=${instance}`)) as { handler: BundleHandler };
      const full: Record<string, string | undefined> = {
        DIGICERT_API_KEY_SECRET_ID: SECRET_BARE,
        DIGICERT_BASE_URL: fake.baseUrl,
        DNS_SERVERS: '127.0.0.1:9',
        ...env,
      };
      // The environment is in place for each call's synchronous start, where the handler builds
      // (or fails to build) its runtime.
      return (event, ctx) => {
        for (const name of FUNCTION_VARS) delete process.env[name];
        for (const [name, value] of Object.entries(full)) if (value !== undefined) process.env[name] = value;
        try {
          const answer = module.handler(event, ctx);
          answer.then(
            (value) => outputs.push(JSON.stringify(value)),
            (error: unknown) => outputs.push(serialise(error)),
          );
          return answer;
        } finally {
          for (const name of FUNCTION_VARS) delete process.env[name];
        }
      };
    },
    seen() {
      const calls = [...started(stdout, 'stdout').mock.calls, ...started(stderr, 'stderr').mock.calls];
      return { outputs: [...outputs], written: calls.map((c) => String(c[0])) };
    },
  };
}

function serialise(error: unknown): string {
  return error instanceof Error
    ? JSON.stringify({ ...error, name: error.name, message: error.message, stack: error.stack })
    : String(error);
}

// ---------------------------------------------------------------------------------------------
// Calls and the checks every answer must pass.

/** Calls `handler` with an HTTP event; its answer, which must have a numeric status. */
export async function http(handler: BundleHandler, event: unknown, ctx = context()): Promise<HttpResult> {
  const result = (await handler(event, ctx)) as HttpResult;
  expect(typeof result.statusCode).toBe('number');
  return result;
}

/** The error `promise` rejects with (it must reject with an `Error`). */
export async function thrown(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a thrown Error, got ${String(error)}`);
  return error;
}

export interface ErrorBody {
  readonly errors: readonly { code: string; message: string; field?: string }[];
}

/** Header lookup by any case (API Gateway accepts either). */
export function header(response: HttpResult, name: string): string | undefined {
  const found = Object.entries(response.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found?.[1];
}

/** The checks every error response must pass (docs/contract.md §2); its envelope. */
export function errorOf(response: HttpResult, status: number, code: string): ErrorBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(header(response, 'x-request-id')).toBeTruthy();
  expect(header(response, 'content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as ErrorBody;
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const entry of body.errors) {
    expect(typeof entry.code).toBe('string');
    expect(typeof entry.message).toBe('string');
  }
  expect(body.errors.map((e) => e.code)).toContain(code);
  return body;
}

/** A 204 as the contract describes it. */
export function expectSent(response: HttpResult): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status: 204, body: '' });
  expect(header(response, 'x-request-id')).toBeTruthy();
  expect(header(response, 'sunset')).toBe(SUNSET);
  expect(header(response, 'link')).toMatch(/^<https:\/\/[^>]*cabforum\.org[^>]*>;\s*rel="sunset"$/);
}

/** The JSON message of a direct error, with `message` and `code` (docs/contract.md §3). */
export function detailOf(
  error: Error,
  name: string,
): { message: string; code: string; [k: string]: unknown } {
  expect(error.name).toBe(name);
  const detail = JSON.parse(error.message) as { message: string; code: string };
  expect(typeof detail.message).toBe('string');
  expect(typeof detail.code).toBe('string');
  return detail;
}

/** Waits (at most 2 s) until `condition` holds, and fails if it never does. */
export async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
