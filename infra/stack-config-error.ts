/**
 * How a bad deployment setting is reported: one line per problem, each naming the setting as the
 * user wrote it (`schedules[0].payload.order_id`), and a suggestion for a misspelt key, which CDK
 * would otherwise ignore without a word.
 */
import type { core } from 'zod';
import { editDistance } from '../functions/lib/edit-distance.js';

/** One problem with one setting. */
export interface SettingIssue {
  readonly setting: string;
  readonly message: string;
}

/** The deployment settings are invalid; the message lists every problem, each naming its setting. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  readonly issues: readonly SettingIssue[];

  constructor(issues: readonly SettingIssue[]) {
    super(
      [
        'Invalid deployment settings (CDK context):',
        ...issues.map((issue) => `  - ${issue.setting}: ${issue.message}`),
        'See docs/deploy.md for every setting and its default.',
      ].join('\n'),
    );
    this.issues = issues;
  }
}

/**
 * Names the setting of each zod issue: list indexes in brackets, field names after dots, and one
 * issue per unknown field. Identical lines (a value breaking two checks of one rule) appear once.
 */
export function toSettingIssues(issues: readonly core.$ZodIssue[]): SettingIssue[] {
  const named = issues.flatMap((issue) => {
    const setting = issue.path
      .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
      .join('');
    if (issue.code !== 'unrecognized_keys') return [{ setting, message: issue.message }];
    return issue.keys.map((key) => ({
      setting: setting ? `${setting}.${key}` : key,
      message: issue.message,
    }));
  });
  return [...new Map(named.map((issue) => [`${issue.setting}\n${issue.message}`, issue])).values()];
}

/**
 * The context keys that look like a misspelling of one of `settings` (same letters in another
 * case, or one or two typos away). Other keys are left alone: CDK feature flags (`@aws-cdk/...`),
 * lookups (`key:account=...`) and the CLI's own keys share the same context.
 */
export function misspeltSettings(keys: readonly string[], settings: readonly string[]): SettingIssue[] {
  return keys.flatMap((key) => {
    if (settings.includes(key) || /[:@]/.test(key)) return [];
    const meant = settings.find(
      (known) =>
        known.toLowerCase() === key.toLowerCase() || (key.length > 4 && editDistance(known, key) <= 2),
    );
    return meant ? [{ setting: key, message: `is not a setting of this app; did you mean "${meant}"?` }] : [];
  });
}
