/**
 * Every command in the README, and in the two docs it hands the depth to (docs/cli.md and
 * docs/callers.md), is exercised here, so it cannot rot. Local commands run for real
 * (npm start, curl against it, the CLI); commands that need an AWS account are checked against
 * what they would send: payloads through the function's own schema, CDK context through the
 * stack's own settings parser, Step Functions error names against the contract's errorTypes.
 * A command this file does not know fails the test: teach it the new command.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGET_HELP } from '../../cli/args.js';
import { RESEND_HELP } from '../../cli/commands/resend.js';
import { LOCAL_FUNCTION_NAME } from '../../dev/local-lambda.js';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';
import { resendBodySchema } from '../../functions/resend/request-schema.js';
import { parseDirectPayload } from '../../functions/triggers/direct-payload.js';
import { arnRegionAndAccount, resolveStackConfig } from '../../infra/stack-config.js';
import { synth } from '../infra/support.js';
import {
  ARN_PLACEHOLDER,
  anchors,
  assignment,
  blocks,
  classify,
  cleanup,
  commands,
  DOC_TEXTS,
  DOCS,
  ERROR_TYPES,
  flags,
  INVOKE_OPTIONS,
  invokeLines,
  KNOWN,
  OUTPUT_PLACEHOLDER,
  PACKAGE,
  piped,
  README,
  README_MAX_LINES,
  ROOT,
  V2_ONLY_OPTIONS,
  withoutEnv,
  words,
} from '../support/docs.js';

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
