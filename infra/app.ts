/**
 * CDK entry (`cdk.json`: `node --import tsx infra/app.ts`). Bad settings end the synth with a
 * message naming each one; cdk-nag findings end it with CDK's validation report. One line on
 * stderr names the region the template is built for and where it came from (docs/deploy.md).
 */
import { createApp } from './create-app.js';
import { StackConfigError } from './stack-config-error.js';
import { describeSynthRegion, hasAwsProfileFiles } from './synth-region.js';

process.stderr.write(`${describeSynthRegion(process.env, hasAwsProfileFiles(process.env))}\n`);
try {
  createApp().app.synth();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
