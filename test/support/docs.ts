/**
 * What the documentation tests share: the README and the docs it links for depth, their commands
 * as a shell would split them, and what they name (outputs, retained resources, anchors).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synth } from '../infra/support.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The documents whose commands this file checks and runs: the README and the docs it links for depth. */
export const DOC_FILES = ['README.md', 'docs/cli.md', 'docs/callers.md'] as const;
export const DOC_TEXTS = new Map(DOC_FILES.map((file) => [file, readFileSync(join(ROOT, file), 'utf8')]));
/** Those documents as one text, README first. */
export const DOCS = [...DOC_TEXTS.values()].join('\n');
/** The most lines README.md may have: the short way in; the depth lives in docs/. */
export const README_MAX_LINES = 290;
export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
  exports: Record<string, unknown>;
  engines: { node: string };
};
export const ERROR_TYPES = [
  'ValidationError',
  'DigiCertRequestError',
  'UpstreamError',
  'ConfigurationError',
  'BatchError',
];

/** Fenced blocks of one language, in order. */
export function blocks(language: string, text = DOCS): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '');
}

/**
 * The lines of a shell block as the shell reads them: `\`-continuations joined, a quoted string
 * that spans lines (a JSON argument) kept on its line, trailing comments dropped; a comment line
 * stays, as itself.
 */
export function shellLines(block: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < block.length; i += 1) {
    const char = block[i] ?? '';
    if (!quote && char === '\\' && block[i + 1] === '\n') {
      i += 1;
      while (block[i + 1] === ' ') i += 1;
      current += ' ';
    } else if (char === '\n') {
      if (quote) {
        current += ' ';
        continue;
      }
      out.push(current.trim());
      current = '';
    } else if (!quote && char === '#' && /(^|\s)$/.test(current)) {
      const end = block.indexOf('\n', i);
      const comment = block.slice(i, end < 0 ? undefined : end);
      if (current.trim() === '') current = comment;
      i = (end < 0 ? block.length : end) - 1;
    } else {
      if (char === quote) quote = undefined;
      else if (!quote && (char === "'" || char === '"')) quote = char;
      current += char;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${current}`);
  out.push(current.trim());
  return out.filter((line) => line !== '');
}

/** Shell commands of the sh blocks: continuations joined, comments and blank lines dropped. */
export function commands(text = DOCS): string[] {
  return blocks('sh', text)
    .flatMap(shellLines)
    .filter((line) => !line.startsWith('#'));
}

/** Splits a command line like a POSIX shell for the quoting the README uses ('...' and "..."). */
export function words(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: "'" | '"' | undefined;
  let started = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started || current) out.push(current);
      current = '';
      started = false;
    } else {
      current += char;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${line}`);
  if (started || current) out.push(current);
  return out;
}

/** `NAME=$(command)`: the variable a line defines and the command whose output it takes. */
export function assignment(line: string): { name: string; command: string } | undefined {
  const match = /^([A-Z_]+)=\$\((.*)\)$/.exec(line);
  return match ? { name: match[1] ?? '', command: match[2] ?? '' } : undefined;
}

/** The line without leading `NAME=value` environment assignments (`AWS_REGION=eu-west-1 npx ...`). */
export function withoutEnv(line: string): string {
  return line.replace(/^(?:[A-Z_]+=\S+\s+)+/, '');
}

/**
 * `aws lambda invoke` lines with the AWS CLI version they are written for: v2 unless a
 * `# AWS CLI v1` comment in the same block comes before them.
 */
export function invokeLines(): { line: string; cli: 1 | 2 }[] {
  const out: { line: string; cli: 1 | 2 }[] = [];
  for (const block of blocks('sh')) {
    let cli: 1 | 2 = 2;
    for (const line of shellLines(block)) {
      if (/^#\s*AWS CLI v1\b/.test(line)) cli = 1;
      if (withoutEnv(line).startsWith('aws lambda invoke ')) out.push({ line, cli });
    }
  }
  return out;
}

/** `aws lambda invoke`'s options (AWS CLI reference) and the global ones the README uses. */
export const INVOKE_OPTIONS = new Set([
  '--function-name',
  '--payload',
  '--invocation-type',
  '--log-type',
  '--client-context',
  '--qualifier',
  '--region',
  '--endpoint-url',
  '--profile',
  '--cli-read-timeout',
]);
/** How the Step Functions example stands for the stack's `FunctionName` output (DefinitionSubstitutions' syntax). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder is the point
export const OUTPUT_PLACEHOLDER = '${FunctionName}';
/** How docs/callers.md's EventBridge targets stand for the function's ARN. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder is the point
export const ARN_PLACEHOLDER = '${FunctionArn}';

/** Global options of AWS CLI v2 only; v1 refuses them ("Unknown options"). */
export const V2_ONLY_OPTIONS = new Set(['--cli-binary-format']);

/** `--flag value` pairs (repeated flags keep the last value) and the rest. */
export function flags(args: string[]): { values: Map<string, string>; rest: string[] } {
  const values = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      values.set(arg, next);
      i += 1;
    } else {
      rest.push(arg);
    }
  }
  return { values, rest };
}

/**
 * The command a line runs: after a pipe when the pipe's source is `printf` (a shell builtin, the
 * documented way to hand the key to a command without putting it on a command line).
 */
export function piped(line: string): string {
  const match = /^printf '%s' "\$[A-Z_]+" \| (.*)$/.exec(line);
  return match?.[1] ?? line;
}

/**
 * A clean-up line: `awk '$1=="<type>"{print $2}' <file> | xargs -n1 <command>`, which runs the
 * command once per physical id of that resource type in the listing `list-stack-resources` wrote.
 */
export function cleanup(line: string): { type: string; file: string; command: string } | undefined {
  const match = /^awk '\$1=="([A-Za-z0-9:]+)"\{print \$2\}' (\S+) \| xargs -n1 (aws .+)$/.exec(line);
  return match ? { type: match[1] ?? '', file: match[2] ?? '', command: match[3] ?? '' } : undefined;
}

/** The text of README's `## title` section, up to the next `## ` heading. */
export function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

export function classify(line: string): string {
  const defined = assignment(line);
  if (defined) return classify(defined.command);
  const [first = '', second = '', third = ''] = words(line).filter((w) => !/^[A-Z_]+=/.test(w));
  if (first === 'npm') return `npm ${second === 'run' ? `run ${third}` : second}`;
  if (first === 'npx') return `npx ${second} ${third}`.trim();
  return `${first} ${second} ${third}`.trim();
}

export const KNOWN = new Set([
  'npm ci && npm start',
  'npm ci && npm test',
  'curl -i -X',
  'curl -i -X PUT',
  'npx dcv-resend resend',
  'npx dcv-resend batch',
  'npx dcv-resend check',
  'npx dcv-resend status',
  'npx dcv-resend dns-dcv',
  'npx dcv-resend submit',
  'npx dcv-resend sweep',
  'npm run start:queue',
  'aws lambda invoke',
  'awscurl --service execute-api',
  'npx cdk deploy',
  'npx cdk destroy',
  'npm run synth',
  'aws secretsmanager put-secret-value',
  'aws cloudformation describe-stacks',
  'aws cloudformation list-stack-resources',
  'npm run bench',
  'npm run load',
  'aws lambda get-function',
  'aws lambda put-function-event-invoke-config',
  'aws lambda add-permission',
  'aws scheduler create-schedule',
  'aws events put-events',
  'aws events put-rule',
  'aws events put-targets',
]);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings (outside code blocks), with GitHub's `-1` for repeats. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading = ''] of text.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    out.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return out;
}

/** The first column of a doc's table headed `| output |`, backticks removed. */
export function outputsTable(text: string): string[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /^\| output +\|/.test(line));
  if (header < 0) return [];
  const end = lines.findIndex((line, i) => i > header && !line.startsWith('|'));
  return lines
    .slice(header + 2, end < 0 ? undefined : end)
    .map((row) => /^\| `([A-Za-z0-9]+)`/.exec(row)?.[1] ?? `unreadable row: ${row}`);
}

/** Every output the stack can have: the default stack's plus those only schedules add. */
export function allOutputs(): Set<string> {
  const withSchedule = synth({
    schedules: [{ name: 'docs', expression: 'rate(1 day)', payload: { order_id: 1 } }],
  });
  return new Set([synth(), withSchedule].flatMap(({ template }) => Object.keys(template.findOutputs('*'))));
}

/**
 * How README's Clean up names each kind of resource the stack keeps, and the commands (with the
 * flag taking the physical id) that delete one. A kind the stack starts to keep fails the test
 * until it is documented here and there.
 */
export interface Resource {
  readonly Type: string;
  readonly DeletionPolicy?: string;
}

export const KEPT: Record<string, { kind: RegExp; commands: readonly (readonly [string, string])[] }> = {
  'AWS::SecretsManager::Secret': {
    kind: /API key secret/,
    commands: [['aws secretsmanager delete-secret', '--secret-id']],
  },
  'AWS::Logs::LogGroup': {
    kind: /log groups/,
    commands: [['aws logs delete-log-group', '--log-group-name']],
  },
  'AWS::SQS::Queue': { kind: /queues/, commands: [['aws sqs delete-queue', '--queue-url']] },
  'AWS::DynamoDB::Table': {
    kind: /state table/,
    commands: [
      ['aws dynamodb update-table --no-deletion-protection-enabled', '--table-name'],
      ['aws dynamodb delete-table', '--table-name'],
    ],
  },
};
