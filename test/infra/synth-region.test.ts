import { describe, expect, it } from 'vitest';
import { describeSynthRegion } from '../../infra/synth-region.js';

describe('the region line of a synth (infra/app.ts)', () => {
  it.each<[string, Record<string, string>, boolean, RegExp]>([
    [
      'names AWS_REGION when it chose the region',
      { CDK_DEFAULT_REGION: 'eu-west-1', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' },
      true,
      /^synth: region eu-west-1, from AWS_REGION; choose another with AWS_REGION=<region>/,
    ],
    [
      'names AWS_DEFAULT_REGION when only it is set',
      { CDK_DEFAULT_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'eu-central-1' },
      true,
      /region eu-central-1, from AWS_DEFAULT_REGION;/,
    ],
    [
      'names the profile when no variable chose the region',
      { CDK_DEFAULT_REGION: 'ap-southeast-2', AWS_PROFILE: 'pki' },
      true,
      /region ap-southeast-2, from the AWS profile "pki";/,
    ],
    [
      "says us-east-1 is the CDK CLI's fallback when nothing could name a region",
      { CDK_DEFAULT_REGION: 'us-east-1' },
      false,
      /region us-east-1, the CDK CLI's fallback, since no AWS_REGION, AWS_DEFAULT_REGION or profile names one;/,
    ],
    [
      'says us-east-1 may be the profile or the fallback when a profile file exists',
      { CDK_DEFAULT_REGION: 'us-east-1' },
      true,
      /region us-east-1, from the AWS profile "default", or the CDK CLI's fallback/,
    ],
    [
      'says the template is region-agnostic when run outside the CDK CLI',
      {},
      false,
      /no region .*region-agnostic/,
    ],
  ])('%s', (_what, env, profileFiles, line) => {
    const described = describeSynthRegion(env, profileFiles);

    expect(described).toMatch(line);
    expect(described).not.toContain('\n');
  });
});
