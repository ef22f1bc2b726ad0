/**
 * Recognises the AWS SDK failures whose fix is on the caller's machine or account rather than in a
 * retry: no region, no credentials, an endpoint that cannot be reached. The SDK gives all three a
 * generic `Error`-ish face; they differ in `name`, `code` and (for the region) only the wording of
 * the SDK's own message, so that is where this looks. Shared by the Secrets Manager key provider
 * and the CLI's `--function-name`, so both name the same cause with the same fix.
 */
import { isRecord } from '../lib/is-record.js';

export type AwsSetupProblem =
  | { readonly kind: 'no_region' }
  | { readonly kind: 'no_credentials' }
  | { readonly kind: 'unreachable'; readonly code: string; readonly detail: string };

/** Node's socket and DNS error codes, and the SDK's timeout name: the endpoint never answered. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
]);

/** Which setup problem `error` shows, or `undefined` when it is anything else (AWS's own answers included). */
export function awsSetupProblem(error: unknown): AwsSetupProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  // @smithy/config-resolver throws plain `Error("Region is missing")` or "Region not accepted: ...".
  if (/^Region (is missing|not accepted)/.test(error.message)) return { kind: 'no_region' };
  if (error.name === 'CredentialsProviderError') return { kind: 'no_credentials' };
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : error.name;
  if (UNREACHABLE_CODES.has(code)) {
    // Node's messages name the address and the code (`connect ECONNREFUSED 127.0.0.1:9`), nothing else.
    return { kind: 'unreachable', code, detail: error.message.slice(0, 200) };
  }
  return undefined;
}

/**
 * One sentence with the cause and the fix, for `service` (e.g. `Secrets Manager`) whose endpoint
 * variable is `endpointVariable` (e.g. `AWS_ENDPOINT_URL_SECRETS_MANAGER`).
 */
export function describeAwsSetupProblem(
  problem: AwsSetupProblem,
  service: string,
  endpointVariable: string,
): string {
  switch (problem.kind) {
    case 'no_region':
      return 'no AWS region is set: set AWS_REGION (e.g. AWS_REGION=us-east-1), or a region in your AWS profile';
    case 'no_credentials':
      return 'no AWS credentials were found: set AWS_PROFILE (after `aws configure` or `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
    case 'unreachable':
      return `the ${service} endpoint cannot be reached (${problem.detail}): check the network, AWS_REGION, and ${endpointVariable} if you set it`;
  }
}
