/**
 * The AWS SDK's Secrets Manager client and command, for the key reads the SDK still makes (anything
 * `secrets-manager-sigv4.ts` leaves to it). Imported with `import()` only: a named re-export keeps
 * the bundle to these two (a dynamic import of the package itself would bring every command).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
