/**
 * The one Route 53 client of a container. The SDK reads `AWS_ENDPOINT_URL_ROUTE_53` itself (the
 * local stand-in, tests), and `AWS_ENDPOINT_URL_STS` for the STS client of the optional assumed
 * role (`DNS_DCV_ROLE_ARN`, stack setting `dnsDcvRoleArn`: zones in another account).
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import type { STSClient } from '@aws-sdk/client-sts';
import type { ClientBounds } from '../../lib/client-bounds.js';
import { ROUTE53_ATTEMPT_TIMEOUT_MS } from './request-budget.js';

/**
 * Route 53's control plane answers in well under a second, but allows about 5 requests per second
 * per account, shared with every other tool there: throttling is the usual failure, and the SDK's
 * standard retry strategy backs off from it with jitter. At most 4 attempts of at most 5 s each (a
 * connection within 1 s): one call gives up within about 25 s, inside a workflow task's timeout.
 */
export const ROUTE53_BOUNDS: ClientBounds = {
  maxAttempts: 4,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: ROUTE53_ATTEMPT_TIMEOUT_MS,
};

/** An assumed role's session: long enough for a publish and a cleanup, refreshed by the SDK before it ends. */
const ROLE_SESSION_SECONDS = 900;
const ROLE_SESSION_NAME = 'dcv-resend-dns-dcv';

export interface Route53ClientOptions {
  /** Assume this role for every Route 53 call (zones in another account). @default the function's own credentials */
  readonly roleArn?: string;
  /** @default the SDK's (`AWS_ENDPOINT_URL_ROUTE_53`, else Route 53's global endpoint) */
  readonly endpoint?: string;
  /** @default the SDK's (`AWS_REGION`) */
  readonly region?: string;
  readonly bounds?: Partial<ClientBounds>;
}

/** What the Route 53 client and the assumed role's STS client share: the region and the bounds. */
interface SharedConfig {
  readonly region?: string;
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: boolean;
  };
}

/** Builds the container's Route 53 client, with bounded retries and timeouts, and the assumed role's credentials when one is set. */
export function createRoute53Client(options: Route53ClientOptions = {}): Route53Client {
  const bounds = { ...ROUTE53_BOUNDS, ...options.bounds };
  const common: SharedConfig = {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: bounds.maxAttempts,
    requestHandler: {
      connectionTimeout: bounds.connectionTimeoutMs,
      requestTimeout: bounds.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
  return new Route53Client({
    ...common,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.roleArn === undefined ? {} : { credentials: assumedRole(options.roleArn, common) }),
  });
}

/**
 * Credentials from STS `AssumeRole`. The SDK memoises a credential provider and calls it again
 * shortly before `expiration`, so one container assumes the role once per session, not per call.
 * The STS client is imported on first use: a stack without the role never loads it (about 35 KB
 * of the bundle's JavaScript).
 */
function assumedRole(roleArn: string, config: SharedConfig) {
  let sts: STSClient | undefined;
  return async () => {
    const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
    sts ??= new STSClient(config);
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: ROLE_SESSION_NAME,
        DurationSeconds: ROLE_SESSION_SECONDS,
      }),
    );
    if (Credentials?.AccessKeyId === undefined || Credentials.SecretAccessKey === undefined) {
      throw new Error(`STS AssumeRole returned no credentials for ${roleArn}`);
    }
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
      ...(Credentials.Expiration === undefined ? {} : { expiration: Credentials.Expiration }),
    };
  };
}
