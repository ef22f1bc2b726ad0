/**
 * Builds the CDK app: settings from context, the stack, and cdk-nag's AWS Solutions checks, which
 * run on every synth and make it fail on any unacknowledged finding. `app.ts` and the tests both
 * build the app here, so what is tested is what is deployed.
 */
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ResendStack } from './resend-stack.js';
import { resolveStackConfig, type StackConfig } from './stack-config.js';

export interface CreateAppOptions {
  /**
   * Context to start from (tests pass `cdk.json`'s plus their settings; under the CDK CLI the
   * context arrives through the environment instead).
   * @default - none besides what the CLI provides
   */
  readonly context?: Record<string, unknown>;
  /**
   * Skip esbuild bundling (unit tests: a placeholder asset is used instead).
   * @default false
   */
  readonly skipBundling?: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation schema validator (about 2.5 s per synth).
   * @default true
   */
  readonly builtinCloudFormationValidation?: boolean;
  /**
   * Where the stack deploys.
   * @default - the CLI's account and region (`CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION`), if any
   */
  readonly env?: Environment;
  /** Cloud assembly directory. @default - the CLI's, or a temporary directory */
  readonly outdir?: string;
}

export interface CreatedApp {
  readonly app: App;
  readonly stack: ResendStack;
  readonly config: StackConfig;
}

/** Builds the app; throws `StackConfigError` (naming each bad setting) before creating any resource. */
export function createApp(options: CreateAppOptions = {}): CreatedApp {
  const app = new App({
    context: {
      ...options.context,
      ...(options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
    ...(options.builtinCloudFormationValidation === false ? { builtinCloudFormationValidation: false } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const context: Record<string, unknown> = app.node.getAllContext();
  const config = resolveStackConfig(context);
  const stack = new ResendStack(app, config.stackName, {
    config,
    env: options.env ?? {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
