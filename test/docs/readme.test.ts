/**
 * Every command in the README, and in the two docs it hands the depth to (docs/cli.md and
 * docs/callers.md), is exercised here, so it cannot rot. Local commands run for real
 * (npm start, curl against it, the CLI); commands that need an AWS account are checked against
 * what they would send: payloads through the function's own schema, CDK context through the
 * stack's own settings parser, Step Functions error names against the contract's errorTypes.
 * A command this file does not know fails the test: teach it the new command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_HELP } from '../../cli/args.js';
import { RESEND_HELP } from '../../cli/commands/resend.js';
import { LOCAL_FUNCTION_NAME } from '../../dev/local-lambda.js';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';
import { resendBodySchema } from '../../functions/resend/request-schema.js';
import { parseDirectPayload } from '../../functions/triggers/direct-payload.js';
import { arnRegionAndAccount, resolveStackConfig } from '../../infra/stack-config.js';
import { synth } from '../infra/support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The documents whose commands this file checks and runs: the README and the docs it links for depth. */
const DOC_FILES = ['README.md', 'docs/cli.md', 'docs/callers.md'] as const;
const DOC_TEXTS = new Map(DOC_FILES.map((file) => [file, readFileSync(join(ROOT, file), 'utf8')]));
/** Those documents as one text, README first. */
const DOCS = [...DOC_TEXTS.values()].join('\n');
/** The most lines README.md may have: the short way in; the depth lives in docs/. */
const README_MAX_LINES = 260;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
  exports: Record<string, unknown>;
  engines: { node: string };
};
const ERROR_TYPES = [
  'ValidationError',
  'DigiCertRequestError',
  'UpstreamError',
  'ConfigurationError',
  'BatchError',
];

/** Fenced blocks of one language, in order. */
function blocks(language: string, text = DOCS): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '');
}

/**
 * The lines of a shell block as the shell reads them: `\`-continuations joined, a quoted string
 * that spans lines (a JSON argument) kept on its line, trailing comments dropped; a comment line
 * stays, as itself.
 */
function shellLines(block: string): string[] {
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
function commands(text = DOCS): string[] {
  return blocks('sh', text)
    .flatMap(shellLines)
    .filter((line) => !line.startsWith('#'));
}

/** Splits a command line like a POSIX shell for the quoting the README uses ('...' and "..."). */
function words(line: string): string[] {
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
function assignment(line: string): { name: string; command: string } | undefined {
  const match = /^([A-Z_]+)=\$\((.*)\)$/.exec(line);
  return match ? { name: match[1] ?? '', command: match[2] ?? '' } : undefined;
}

/** The line without leading `NAME=value` environment assignments (`AWS_REGION=eu-west-1 npx ...`). */
function withoutEnv(line: string): string {
  return line.replace(/^(?:[A-Z_]+=\S+\s+)+/, '');
}

/**
 * `aws lambda invoke` lines with the AWS CLI version they are written for: v2 unless a
 * `# AWS CLI v1` comment in the same block comes before them.
 */
function invokeLines(): { line: string; cli: 1 | 2 }[] {
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
const INVOKE_OPTIONS = new Set([
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
const OUTPUT_PLACEHOLDER = '${FunctionName}';
/** How docs/callers.md's EventBridge targets stand for the function's ARN. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder is the point
const ARN_PLACEHOLDER = '${FunctionArn}';

/** Global options of AWS CLI v2 only; v1 refuses them ("Unknown options"). */
const V2_ONLY_OPTIONS = new Set(['--cli-binary-format']);

/** `--flag value` pairs (repeated flags keep the last value) and the rest. */
function flags(args: string[]): { values: Map<string, string>; rest: string[] } {
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
function piped(line: string): string {
  const match = /^printf '%s' "\$[A-Z_]+" \| (.*)$/.exec(line);
  return match?.[1] ?? line;
}

/**
 * A clean-up line: `awk '$1=="<type>"{print $2}' <file> | xargs -n1 <command>`, which runs the
 * command once per physical id of that resource type in the listing `list-stack-resources` wrote.
 */
function cleanup(line: string): { type: string; file: string; command: string } | undefined {
  const match = /^awk '\$1=="([A-Za-z0-9:]+)"\{print \$2\}' (\S+) \| xargs -n1 (aws .+)$/.exec(line);
  return match ? { type: match[1] ?? '', file: match[2] ?? '', command: match[3] ?? '' } : undefined;
}

/** The text of README's `## title` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

function classify(line: string): string {
  const defined = assignment(line);
  if (defined) return classify(defined.command);
  const [first = '', second = '', third = ''] = words(line).filter((w) => !/^[A-Z_]+=/.test(w));
  if (first === 'npm') return `npm ${second === 'run' ? `run ${third}` : second}`;
  if (first === 'npx') return `npx ${second} ${third}`.trim();
  return `${first} ${second} ${third}`.trim();
}

const KNOWN = new Set([
  'npm ci && npm start',
  'npm ci && npm test',
  'curl -i -X',
  'curl -i -X PUT',
  'npx dcv-resend resend',
  'npx dcv-resend batch',
  'npx dcv-resend check',
  'npx dcv-resend status',
  'npx dcv-resend submit',
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

describe('README commands (and those of docs/cli.md and docs/callers.md)', () => {
  it('are each one this test knows how to check', () => {
    const unknown = commands()
      .map(piped)
      .filter((line) => {
        if (line === 'npm ci && npm start' || line === 'npm ci && npm test') return false;
        if (cleanup(line)) return false;
        const kind = classify(line);
        return ![...KNOWN].some((k) => kind === k || kind.startsWith(`${k} `));
      });
    expect(unknown).toEqual([]);
  });

  it('start with the two set-up commands, whose scripts exist', () => {
    const all = commands(README);
    expect(all.slice(0, 2)).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    expect(PACKAGE.scripts.start).toBeDefined();
    expect(PACKAGE.scripts.test).toBe('vitest run');
    // .ci/run runs `npm ci` and `npm test` itself: the second command is what CI runs.
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/npm ci[\s\S]*npm test/);
  });

  it('use only npm scripts that exist', () => {
    for (const line of commands().filter((l) => l.startsWith('npm run'))) {
      const script = words(line)[2] ?? '';
      expect(PACKAGE.scripts, line).toHaveProperty(script);
    }
    expect(README).toContain('npm run start:lambda');
    expect(PACKAGE.scripts).toHaveProperty(['start:lambda']);
    expect(PACKAGE.scripts).toHaveProperty('openapi');
  });

  it('synthesise with a success line, and nothing else on success (npm run synth)', () => {
    // cdk synth --quiet prints nothing when it succeeds; the echo runs only after it exits 0.
    expect(PACKAGE.scripts.synth).toMatch(/cdk synth --quiet && echo 'synth: ok[^']*'$/);
  });

  it('that measure (bench, load) are run by .ci/run, which stops them by themselves', () => {
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    for (const script of ['bench', 'load']) {
      expect(commands()).toContain(`npm run ${script}`);
      expect(ci).toMatch(new RegExp(`npm run -s ${script}\\b`));
    }
  });

  it('invoke with options each AWS CLI version knows, one output file and a payload the function accepts (aws lambda invoke)', () => {
    const invokes = invokeLines();
    expect(invokes.filter((i) => i.cli === 2).length).toBeGreaterThanOrEqual(2);
    expect(invokes.filter((i) => i.cli === 1).length).toBeGreaterThanOrEqual(1);
    for (const { line, cli } of invokes) {
      const args = words(withoutEnv(line)).slice(3);
      const options: string[] = [];
      const positional: string[] = [];
      const values = new Map<string, string>();
      for (let i = 0; i < args.length; i += 1) {
        const arg = args[i] ?? '';
        if (!arg.startsWith('--')) {
          positional.push(arg);
          continue;
        }
        const value = args[i + 1];
        expect(value !== undefined && !value.startsWith('--'), `${arg} has a value: ${line}`).toBe(true);
        options.push(arg);
        values.set(arg, value ?? '');
        i += 1;
      }
      for (const option of options) {
        const known = INVOKE_OPTIONS.has(option) || (cli === 2 && V2_ONLY_OPTIONS.has(option));
        expect(known, `AWS CLI v${cli} knows ${option}: ${line}`).toBe(true);
      }
      expect(new Set(options).size, `no option repeated: ${line}`).toBe(options.length);
      // The one positional argument is the file the result is written to.
      expect(positional, line).toHaveLength(1);
      // v2 reads --payload as base64 unless told otherwise; v1 sends it as written.
      if (cli === 2) expect(values.get('--cli-binary-format'), line).toBe('raw-in-base64-out');
      const payload: unknown = JSON.parse(values.get('--payload') ?? '');
      expect(() => parseDirectPayload(payload), line).not.toThrow();
      const name = values.get('--function-name');
      if (values.get('--endpoint-url') === 'http://127.0.0.1:3001')
        expect(name, line).toBe(LOCAL_FUNCTION_NAME);
      else expect(name, line).toBe('$FUNCTION_NAME');
    }
    expect(DOCS).toMatch(/`--cli-binary-format raw-in-base64-out` exists in AWS CLI v2 only/);
  });

  it('use only shell variables that an earlier command of the same document defines, or the key the user holds', () => {
    const definedIn = new Map<string, Set<string>>();
    for (const [file, text] of DOC_TEXTS) {
      const defined = new Set(['DIGICERT_API_KEY']);
      for (const line of commands(text).map(piped)) {
        for (const [, name] of line.matchAll(/\$([A-Z_]+)/g)) {
          expect(defined.has(name ?? ''), `${file}: $${name} is defined before: ${line}`).toBe(true);
        }
        const set = assignment(line);
        if (set) defined.add(set.name);
      }
      definedIn.set(file, defined);
    }
    expect(definedIn.get('README.md')).toContain('FUNCTION_NAME');
    expect(definedIn.get('README.md')).toContain('SECRET_ARN');
  });

  it('read names from outputs the stack really has, under its default name (describe-stacks)', () => {
    const outputs = Object.keys(synth().template.findOutputs('*'));
    const assignments = commands()
      .map(assignment)
      .filter((a): a is { name: string; command: string } => a !== undefined);
    // The one other kind: the function's ARN, read from its name (the FunctionName output).
    const arns = assignments.filter((a) => a.command.startsWith('aws lambda get-function '));
    for (const { name, command } of arns) {
      const { values } = flags(words(command));
      expect(name, command).toBe('FUNCTION_ARN');
      expect(values.get('--function-name'), command).toBe('$FUNCTION_NAME');
      expect(values.get('--query'), command).toBe('Configuration.FunctionArn');
      expect(values.get('--output'), command).toBe('text');
    }
    const reads = assignments.filter((a) => !arns.includes(a));
    expect([...new Set(reads.map((r) => r.name))].sort()).toEqual(['FUNCTION_NAME', 'SECRET_ARN']);
    for (const { command } of reads) {
      const { values } = flags(words(command));
      expect(values.get('--stack-name'), command).toBe(DEPLOYMENT_DEFAULTS.stackName);
      expect(values.get('--output'), command).toBe('text');
      const output = /^Stacks\[0\]\.Outputs\[\?OutputKey=='([A-Za-z]+)'\]\.OutputValue$/.exec(
        values.get('--query') ?? '',
      )?.[1];
      expect(outputs, command).toContain(output);
    }
  });

  it('name the deployed function one way everywhere: the FunctionName output', () => {
    // Step Functions: the placeholder for the output; the invoke client: an environment variable.
    const machines = JSON.stringify(blocks('json'));
    for (const [, name] of machines.matchAll(/\\"FunctionName\\": \\"([^\\]*)\\"/g)) {
      expect(name).toBe(OUTPUT_PLACEHOLDER);
    }
    expect(machines).toContain(OUTPUT_PLACEHOLDER);
    expect(blocks('ts').join('\n')).toContain('functionName: process.env.DCV_RESEND_FUNCTION_NAME');
    // The CLI's help points at the same output and variable.
    expect(TARGET_HELP).toContain('FunctionName output');
    expect(RESEND_HELP).toContain('--function-name "$FUNCTION_NAME"');
    // No deployed example in the docs names a function literally.
    for (const doc of ['README.md', 'docs/cli.md', 'docs/callers.md', 'docs/deploy.md']) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const literal = [...text.matchAll(/--function-name\s+([^\s\\`]+)/g)]
        .map((m) => m[1] ?? '')
        .filter((name) => name !== '"$FUNCTION_NAME"' && name !== LOCAL_FUNCTION_NAME);
      expect(literal, doc).toEqual([]);
      expect(text, doc).not.toMatch(/function:resend-dcv-emails/);
    }
  });

  it('sign a request for the resend route with a valid body (awscurl)', () => {
    const lines = commands().filter((l) => l.startsWith('awscurl'));
    expect(lines).toHaveLength(1);
    const args = words(lines[0] ?? '');
    const { values, rest } = flags(args);
    expect(values.get('--service')).toBe('execute-api');
    expect(values.get('-X')).toBe('PUT');
    expect(values.get('-H')?.toLowerCase()).toBe('content-type: application/json');
    expect(resendBodySchema.safeParse(JSON.parse(values.get('-d') ?? '')).success).toBe(true);
    const url = rest.find((a) => a.startsWith('https://')) ?? '';
    expect(new URL(url).pathname).toMatch(/^\/order\/certificate\/\d{1,12}\/resend-emails$/);
  });

  it('deploy with settings the stack accepts, to the region of the secret they name (cdk deploy)', () => {
    const deploys = commands().filter((l) => withoutEnv(l).startsWith('npx cdk deploy'));
    expect(deploys.length).toBeGreaterThanOrEqual(2);
    for (const line of deploys) {
      const context: Record<string, string> = {};
      const args = words(withoutEnv(line));
      for (let i = 0; i < args.length; i += 1) {
        if (args[i] !== '-c') continue;
        const [key = '', ...value] = (args[i + 1] ?? '').split('=');
        context[key] = value.join('=');
      }
      expect(() => resolveStackConfig(context), line).not.toThrow();
      // The stack's region is the CLI's (AWS_REGION first): a secret elsewhere fails the synth.
      if (context.secretArn) {
        const { region } = arnRegionAndAccount(context.secretArn);
        expect(line.startsWith(`AWS_REGION=${region} `), line).toBe(true);
        expect(() =>
          synth({ secretArn: context.secretArn }, { region, account: '123456789012' }),
        ).not.toThrow();
      }
    }
  });

  it('set the secret with the documented flags, the key read from standard input, never from the command line', () => {
    const line =
      commands()
        .map(piped)
        .find((l) => l.startsWith('aws secretsmanager put-secret-value')) ?? '';
    const { values } = flags(words(line));
    expect([...values.keys()].sort()).toEqual(['--secret-id', '--secret-string']);
    expect(values.get('--secret-string')).toBe('file:///dev/stdin');
    expect(DOCS).not.toMatch(/--secret-string\s+"?\$/);
  });

  it('show Step Functions states that match on the contract errorTypes only', () => {
    const machines = blocks('json')
      .map((b) => JSON.parse(b) as unknown)
      .filter(
        (j): j is { States: Record<string, unknown> } => typeof j === 'object' && j !== null && 'States' in j,
      );
    expect(machines.length).toBeGreaterThan(0);
    const names = JSON.stringify(machines).match(/"ErrorEquals":\[[^\]]*\]/g) ?? [];
    const errors = names.flatMap((n) => JSON.parse(n.slice('"ErrorEquals":'.length)) as string[]);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(ERROR_TYPES.includes(error) || /^(States|Lambda)\./.test(error), error).toBe(true);
    }
    expect(errors).toContain('UpstreamError');
  });

  it("show an error envelope in DigiCert's shape", () => {
    const envelopes = blocks('json')
      .map((b) => JSON.parse(b) as unknown)
      .filter((j): j is { errors: unknown[] } => typeof j === 'object' && j !== null && 'errors' in j);
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]?.errors[0]).toEqual({
      code: 'invalid_input',
      message: expect.any(String),
      field: 'domain_approval_emails.0.email',
    });
  });

  it('name the Node.js versions that package.json engines allows', () => {
    const minimum = /^>=(\d+\.\d+)$/.exec(PACKAGE.engines.node)?.[1];
    expect(minimum).toBeDefined();
    expect(README).toContain(`Node.js ${minimum} or later`);
  });

  it('import only what the invoke client exports, under its package export', async () => {
    const code = blocks('ts').join('\n');
    const imports = [...code.matchAll(/import \{([^}]+)\} from '([^']+)'/g)];
    expect(imports.length).toBeGreaterThan(0);
    expect(PACKAGE.exports).toHaveProperty(['./invoke-client']);
    const client = (await import('../../functions/client/invoke-client.js')) as Record<string, unknown>;
    for (const [, names = '', from] of imports) {
      expect(from).toBe('dcv-resend/invoke-client');
      for (const name of names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)) {
        expect(client[name], name).toBeDefined();
      }
    }
  });

  it('route EventBridge events and schedules to the function with payloads it accepts (aws scheduler, aws events)', () => {
    const all = commands();
    const json = (line: string, flag: string): unknown =>
      JSON.parse(flags(words(line)).values.get(flag) ?? '');
    const find = (start: string): string[] => all.filter((l) => l.startsWith(`${start} `));

    // Scheduler: the target is the function's ARN and its input is the payload itself.
    const schedules = find('aws scheduler create-schedule');
    expect(schedules.length).toBeGreaterThan(0);
    for (const line of schedules) {
      const target = json(line, '--target') as { Arn: string; RoleArn: string; Input: string };
      expect(target.Arn, line).toBe('$FUNCTION_ARN');
      expect(target.RoleArn, line).toMatch(/^arn:aws:iam::\d{12}:role\//);
      expect(() => parseDirectPayload(JSON.parse(target.Input)), line).not.toThrow();
      expect(flags(words(line)).values.get('--schedule-expression'), line).toMatch(/^(cron|rate|at)\(.+\)$/);
    }

    // Lambda's own asynchronous retries: within what Lambda accepts, failures to a destination.
    const asyncConfigs = find('aws lambda put-function-event-invoke-config');
    expect(asyncConfigs.length).toBeGreaterThan(0);
    for (const line of asyncConfigs) {
      const { values } = flags(words(line));
      expect(values.get('--function-name'), line).toBe('$FUNCTION_NAME');
      expect(Number(values.get('--maximum-retry-attempts')), line).toBeLessThanOrEqual(2);
      const age = Number(values.get('--maximum-event-age-in-seconds'));
      expect(age >= 60 && age <= 21_600, line).toBe(true);
      const destination = json(line, '--destination-config') as { OnFailure: { Destination: string } };
      expect(destination.OnFailure.Destination, line).toMatch(/^arn:aws:(sqs|sns|events|lambda):/);
    }

    // A bus: the published detail is a payload, the rule matches what is published, and the rule
    // may invoke the function.
    const entries = find('aws events put-events').flatMap(
      (line) =>
        json(line, '--entries') as {
          EventBusName: string;
          Source: string;
          DetailType: string;
          Detail: string;
        }[],
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const detail: unknown = JSON.parse(entry.Detail);
      expect(() => parseDirectPayload(detail), entry.Detail).not.toThrow();
      const envelope = { version: '0', 'detail-type': entry.DetailType, source: entry.Source, detail };
      expect(() => parseDirectPayload(envelope), entry.Detail).not.toThrow();
    }
    const rules = find('aws events put-rule').map((line) => ({ line, values: flags(words(line)).values }));
    expect(rules.length).toBeGreaterThan(0);
    for (const { line, values } of rules) {
      const pattern = JSON.parse(values.get('--event-pattern') ?? '') as Record<string, string[]>;
      for (const entry of entries.filter((e) => e.EventBusName === values.get('--event-bus-name'))) {
        expect(pattern.source, line).toContain(entry.Source);
        expect(pattern['detail-type'], line).toContain(entry.DetailType);
      }
    }
    const targets = find('aws events put-targets');
    expect(targets.length).toBeGreaterThan(0);
    for (const line of targets) {
      for (const target of json(line, '--targets') as { Arn: string; Input?: string }[]) {
        expect(target.Arn, line).toBe(ARN_PLACEHOLDER);
        if (target.Input !== undefined)
          expect(() => parseDirectPayload(JSON.parse(target.Input ?? '')), line).not.toThrow();
      }
    }
    const permissions = find('aws lambda add-permission');
    expect(permissions.length).toBeGreaterThan(0);
    for (const line of permissions) {
      const { values } = flags(words(line));
      expect(values.get('--function-name'), line).toBe('$FUNCTION_NAME');
      expect(values.get('--action'), line).toBe('lambda:InvokeFunction');
      expect(values.get('--principal'), line).toBe('events.amazonaws.com');
      const rule = rules.find(({ values: r }) =>
        values.get('--source-arn')?.endsWith(`:rule/${r.get('--event-bus-name')}/${r.get('--name')}`),
      );
      expect(rule, line).toBeDefined();
    }
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings (outside code blocks), with GitHub's `-1` for repeats. */
function anchors(text: string): Set<string> {
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

describe('README.md, the short way in', () => {
  it(`stays under ${README_MAX_LINES} lines: the depth lives in docs/`, () => {
    expect(README.split('\n').length).toBeLessThan(README_MAX_LINES);
  });

  it('keeps, in this order, the sections other docs, the CLI and the tests link to', () => {
    const headings = [...README.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    const kept = [
      'The two commands',
      'Call it locally',
      'Deploy',
      'Call it deployed',
      'Observe',
      'Measure',
      'Clean up',
      'Email DCV is being phased out',
      'Where things are',
      'Development',
    ];
    expect(headings.filter((h) => kept.includes(h ?? ''))).toEqual(kept);
  });

  it('links, with the docs, only to files and headings that exist', () => {
    const docs = readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`);
    const broken: string[] = [];
    for (const file of ['README.md', ...docs]) {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? file : join(dirname(file), path);
        if (!existsSync(join(ROOT, resolved))) broken.push(`${file}: ${target}`);
        else if (anchor !== undefined && !anchors(readFileSync(join(ROOT, resolved), 'utf8')).has(anchor))
          broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

/** The first column of a doc's table headed `| output |`, backticks removed. */
function outputsTable(text: string): string[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /^\| output +\|/.test(line));
  if (header < 0) return [];
  const end = lines.findIndex((line, i) => i > header && !line.startsWith('|'));
  return lines
    .slice(header + 2, end < 0 ? undefined : end)
    .map((row) => /^\| `([A-Za-z0-9]+)`/.exec(row)?.[1] ?? `unreadable row: ${row}`);
}

/** Every output the stack can have: the default stack's plus those only schedules add. */
function allOutputs(): Set<string> {
  const withSchedule = synth({
    schedules: [{ name: 'docs', expression: 'rate(1 day)', payload: { order_id: 1 } }],
  });
  return new Set([synth(), withSchedule].flatMap(({ template }) => Object.keys(template.findOutputs('*'))));
}

describe('stack outputs named in README.md and docs/deploy.md (and docs/cli.md, docs/callers.md)', () => {
  it('exist in the synthesised template, in --query expressions and in prose', () => {
    const outputs = allOutputs();
    for (const doc of ['README.md', 'docs/deploy.md', 'docs/cli.md', 'docs/callers.md']) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const named = [
        ...text.matchAll(/OutputKey=='([A-Za-z0-9]+)'/g),
        ...text.matchAll(/`([A-Z][A-Za-z0-9]+)` outputs?\b/g),
      ]
        .map((m) => m[1] ?? '')
        .concat(outputsTable(text));

      // README and deploy.md name many outputs; the docs a README section moved to, at least one.
      expect(named.length, doc).toBeGreaterThan(doc === 'README.md' || doc === 'docs/deploy.md' ? 2 : 0);
      expect(
        named.filter((name) => !outputs.has(name)),
        doc,
      ).toEqual([]);
    }
  });

  it("are each listed in docs/deploy.md's outputs table", () => {
    const deploy = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    const listed = new Set(outputsTable(deploy));

    expect([...allOutputs()].filter((name) => !listed.has(name))).toEqual([]);
  });
});

/**
 * How README's Clean up names each kind of resource the stack keeps, and the commands (with the
 * flag taking the physical id) that delete one. A kind the stack starts to keep fails the test
 * until it is documented here and there.
 */
interface Resource {
  readonly Type: string;
  readonly DeletionPolicy?: string;
}

const KEPT: Record<string, { kind: RegExp; commands: readonly (readonly [string, string])[] }> = {
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

describe('README Clean up', () => {
  const text = section('Clean up');
  const lines = commands(text);

  it('names each kind of resource the stack retains, with the commands that delete it, in order', () => {
    const retained = new Set(
      [synth(), synth({ schedules: [{ name: 'c', expression: 'rate(1 day)', payload: { order_id: 1 } }] })]
        .flatMap(({ template }) => Object.values(template.toJSON().Resources as Record<string, Resource>))
        .filter((resource) => resource.DeletionPolicy === 'Retain')
        .map((resource) => resource.Type),
    );
    const steps = lines.flatMap((line) => cleanup(line) ?? []);

    expect(retained.size).toBeGreaterThan(0);
    for (const type of retained) {
      const kept = KEPT[type];
      expect(kept, `README's Clean up (and KEPT here) covers ${type}`).toBeDefined();
      expect(text, type).toMatch(kept?.kind ?? /^$/);
      const mine = steps.filter((step) => step.type === type).map((step) => step.command);
      expect(mine.length, type).toBe(kept?.commands.length);
      kept?.commands.forEach(([start, idFlag], i) => {
        expect(mine[i]?.startsWith(`${start} `), `${type}: ${mine[i]}`).toBe(true);
        expect(mine[i]?.endsWith(` ${idFlag}`), `${type}: ${mine[i]}`).toBe(true);
      });
    }
    expect(steps.filter((step) => !retained.has(step.type))).toEqual([]);
  });

  it('lists the resources before cdk destroy, into the file the clean-up lines read', () => {
    const listing = lines.findIndex((l) => l.startsWith('aws cloudformation list-stack-resources '));
    const destroy = lines.indexOf('npx cdk destroy');
    const args = words(lines[listing] ?? '');
    const { values } = flags(args);

    expect(listing).toBeGreaterThanOrEqual(0);
    expect(listing).toBeLessThan(destroy);
    expect(values.get('--stack-name')).toBe(DEPLOYMENT_DEFAULTS.stackName);
    // One `type<TAB>physical id` line per resource: what awk's $1 and $2 read.
    expect(values.get('--query')).toBe('StackResourceSummaries[].[ResourceType,PhysicalResourceId]');
    expect(values.get('--output')).toBe('text');
    expect(args.slice(-2)[0]).toBe('>');
    for (const [i, line] of lines.entries()) {
      const step = cleanup(line);
      if (!step) continue;
      expect(step.file, line).toBe(args.at(-1));
      expect(i, line).toBeGreaterThan(destroy);
    }
  });
});

describe('README commands, run locally', () => {
  let server: ChildProcess;
  let base = '';
  let banner = '';

  beforeAll(async () => {
    // `npm start` exactly as written, in its own process group so that stopping it stops all of it.
    server = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start printed no address in 20 s: ${banner}`)),
        20_000,
      );
      server.stdout?.on('data', (chunk: Buffer) => {
        banner += chunk.toString('utf8');
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      server.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${banner}`)));
    });
  });

  afterAll(() => {
    if (server.pid) process.kill(-server.pid, 'SIGTERM');
  });

  /** Sends what a README `curl` line sends (every `-H` of it); resolves with the status and headers. */
  function curl(line: string): Promise<{ status: number; headers: Record<string, unknown> }> {
    const args = words(line).slice(1);
    const { values, rest } = flags(args);
    const url = (rest.find((a) => a.startsWith('http://127.0.0.1:3000')) ?? '').replace(
      'http://127.0.0.1:3000',
      base,
    );
    const headers: Record<string, string> = {};
    args.forEach((arg, i) => {
      if (arg !== '-H') return;
      const [name = '', ...value] = (args[i + 1] ?? '').split(':');
      headers[name.trim()] = value.join(':').trim();
    });
    return new Promise((resolve, reject) => {
      const req = request(url, { method: values.get('-X') ?? 'GET', headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(values.get('-d'));
    });
  }

  it('npm start says where it listens, in front of the simulator', () => {
    expect(banner).toMatch(/simulator/);
  });

  it('aws lambda invoke against npm run start:lambda: the same request through the SDK answers as Lambda would', async () => {
    const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
    const { startLocalLambda } = await import('../../dev/local-lambda.js');
    const line = commands().find((l) => l.includes('--endpoint-url http://127.0.0.1:3001')) ?? '';
    const { values } = flags(words(line).filter((w) => !/^[A-Z_]+=/.test(w)));
    const local = await startLocalLambda(0, {
      ...process.env,
      DIGICERT_API_KEY: '',
      DIGICERT_API_KEY_SECRET_ID: '',
    });
    try {
      const lambda = new LambdaClient({
        region: values.get('--region') ?? '',
        endpoint: local.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: values.get('--function-name'),
          Payload: new TextEncoder().encode(values.get('--payload')),
        }),
      );
      // The README's batch holds order 404, which the simulator does not know.
      expect(response.FunctionError).toBe('Unhandled');
      const payload = JSON.parse(response.Payload?.transformToString() ?? '') as {
        errorType: string;
        errorMessage: string;
      };
      expect(payload.errorType).toBe('BatchError');
      expect(JSON.parse(payload.errorMessage)).toMatchObject({ sent: 1, failed: 1 });
    } finally {
      await local.close();
    }
  });

  it('curl: the example request answers 204, the demo order 404, the DCV address list and a stuck order status 200', async () => {
    const curls = commands().filter((l) => l.startsWith('curl') && !/Idempotency-Key/i.test(l));
    expect(curls).toHaveLength(4);
    expect((await curl(curls[0] ?? '')).status).toBe(204);
    expect((await curl(curls[1] ?? '')).status).toBe(404);
    expect((await curl(curls[2] ?? '')).status).toBe(200);
    expect((await curl(curls[3] ?? '')).status).toBe(200);
  });

  it('curl: the same Idempotency-Key twice answers 204, the second time with idempotent-replayed: true (the embedded state table)', async () => {
    const keyed = commands().filter((l) => l.startsWith('curl') && /Idempotency-Key/i.test(l));
    expect(keyed).toHaveLength(2);
    expect(keyed[1]).toBe(keyed[0]);
    expect(banner).toMatch(/^State table: embedded/m);

    const first = await curl(keyed[0] ?? '');
    const second = await curl(keyed[1] ?? '');

    expect(first.status).toBe(204);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(204);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(README).toMatch(/`204`\s+with\s+`idempotent-replayed: true`:\n\n```sh\ncurl .*Idempotency-Key/);
  });

  it('the CLI commands exit as documented on the embedded simulator', async () => {
    // A command substitution needs a deployed stack (submit's --queue-url from its outputs).
    const lines = commands().filter((l) => l.startsWith('npx dcv-resend') && !l.includes('$('));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const bin = join(ROOT, PACKAGE.bin['dcv-resend'] ?? '');
    for (const line of lines) {
      const args = words(line).slice(2);
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            // The pre-check's DNS stays on loopback (nothing listens: lookups fail at once).
            DNS_SERVERS: '127.0.0.1:9',
          },
          stdio: 'ignore',
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('error', reject);
        child.on('close', (exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });
      // The example batch holds order 404, which the simulator does not know: exit 1, as documented.
      expect(code, line).toBe(
        line.includes('docs/examples/orders.ndjson') && !line.includes('--dry-run') ? 1 : 0,
      );
    }
    // One process per README line, one after another: a budget per line, not for all of them.
  }, 60_000);
});
