/**
 * Which region a synth builds for, and where that came from. The CDK CLI resolves the region as the
 * AWS CLI does (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`) and, when nothing names
 * one, quietly falls back to us-east-1; it hands the result to the app as `CDK_DEFAULT_REGION`. The
 * template (the region rule of a secret, the region-specific ARNs) is built for that region, so
 * the app says which, in one line on stderr.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The variables the CDK CLI reads the region from, in its order (the AMAZON_ ones are legacy). */
const REGION_VARIABLES = [
  'AWS_REGION',
  'AMAZON_REGION',
  'AWS_DEFAULT_REGION',
  'AMAZON_DEFAULT_REGION',
] as const;

const CHOOSE = 'choose another with AWS_REGION=<region> npm run synth (or npx cdk ...)';

type Env = Readonly<Record<string, string | undefined>>;

/** Whether a shared AWS config or credentials file exists, where a profile could name a region. */
export function hasAwsProfileFiles(env: Env): boolean {
  const home = homedir();
  return [
    env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'),
    env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'),
  ].some((file) => existsSync(file));
}

/**
 * One line naming the synth's region and its source. `profileFiles`: whether an AWS config or
 * credentials file exists (without one, us-east-1 with no variable can only be the CLI's fallback).
 */
export function describeSynthRegion(env: Env, profileFiles: boolean): string {
  const region = env.CDK_DEFAULT_REGION;
  if (!region) return `synth: no region (not run by the CDK CLI): the template is region-agnostic; ${CHOOSE}`;
  const variable = REGION_VARIABLES.find((name) => env[name]);
  if (variable && env[variable] === region) return `synth: region ${region}, from ${variable}; ${CHOOSE}`;
  const profile = `the AWS profile "${env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default'}"`;
  const fallback = "the CDK CLI's fallback, since no AWS_REGION, AWS_DEFAULT_REGION or profile names one";
  const source =
    region !== 'us-east-1' ? `from ${profile}` : profileFiles ? `from ${profile}, or ${fallback}` : fallback;
  return `synth: region ${region}, ${source}; ${CHOOSE}`;
}
