/**
 * CDK entry (`cdk.json`: `node --import tsx infra/app.ts`). Bad settings end the synth with a
 * message naming each one; cdk-nag findings end it with CDK's validation report.
 */
import { createApp } from './create-app.js';
import { StackConfigError } from './stack-config-error.js';

try {
  createApp().app.synth();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
