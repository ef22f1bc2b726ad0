/**
 * Shared setup for the CDK tests: the app exactly as `infra/app.ts` builds it, with `cdk.json`'s
 * feature flags, bundling skipped and the built-in CloudFormation validator off, so each test
 * synthesises in well under a second. `tools/synth-check.ts` does the one real synth.
 */
import { readFileSync } from 'node:fs';
import { CfnElement, type Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { isRecord } from '../../functions/lib/is-record.js';
import { type CreatedApp, createApp } from '../../infra/create-app.js';
import type { StackConfigInput } from '../../infra/stack-config.js';

function readCdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  if (!isRecord(cdkJson) || !isRecord(cdkJson.context)) throw new Error('cdk.json has no "context" object');
  return cdkJson.context;
}

/** `cdk.json`'s context (feature flags), as the CLI would pass it. */
export const CDK_JSON_CONTEXT = readCdkJsonContext();

export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:digicert/api-key-AbCdEf';
export const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export const SINGLE_PAYLOAD = {
  order_id: 123456,
  domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  locale: 'en',
} as const;

export const BATCH_PAYLOAD = { orders: [{ order_id: 1 }, { order_id: '2', locale: 'de_DE' }] } as const;

export interface Synthesised extends CreatedApp {
  readonly template: Template;
}

const synthesised = new Map<string, Synthesised>();

/**
 * Builds the app with these settings (as `-c key=value` would) and returns its template. Results
 * are shared between tests with the same settings (templates are only read), which keeps the
 * suite fast; a test that changes the construct tree uses `build` instead.
 */
export function synth(settings: StackConfigInput = {}, env: Environment = {}): Synthesised {
  const key = JSON.stringify([settings, env]);
  const cached = synthesised.get(key);
  if (cached) return cached;
  const created = build(settings, env);
  const result = { ...created, template: Template.fromStack(created.stack) };
  synthesised.set(key, result);
  return result;
}

/** Builds the app without synthesising it. */
export function build(
  settings: StackConfigInput & Record<string, unknown> = {},
  env: Environment = {},
): CreatedApp {
  return createApp({
    context: { ...CDK_JSON_CONTEXT, ...settings },
    skipBundling: true,
    builtinCloudFormationValidation: false,
    env,
  });
}

/** The single resource of `type` in the template, failing loudly when there are zero or several. */
export function onlyResource(
  template: Template,
  type: string,
): { logicalId: string; properties: Record<string, unknown> } {
  const resources = Object.entries(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  const [logicalId, resource] = resources[0] as [string, { Properties?: Record<string, unknown> }];
  return { logicalId, properties: resource.Properties ?? {} };
}

/** The logical id CloudFormation will see for this L2 construct's main resource (or this L1). */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).resolve(element.logicalId) as string;
}
