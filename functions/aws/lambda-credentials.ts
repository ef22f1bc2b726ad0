/**
 * The AWS credentials of the deployed bundle: `tools/bundle-options.ts` aliases
 * `@aws-sdk/credential-provider-node` (the SDK clients' default chain) to this file. Lambda always
 * hands the function its role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the rest of the chain (profiles, SSO, web
 * identity, process, container and instance metadata) would be bundle and cold-start parse time
 * for code that never runs there. The CLI and the tests of the sources keep the full chain; the
 * bundle's tests and local runs pass credentials in the environment, as Lambda does.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and call shape as `@aws-sdk/credential-provider-node`'s export, which the clients import. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
