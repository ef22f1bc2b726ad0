/**
 * Which files of the deployable bundle a cold container reads, established by running it: the
 * bundle is built as the stack builds it (`tools/bundle-options.ts`), then imported in a fresh Node
 * process with the deployed configuration (a state table, a failure queue, source maps) pointed at
 * the local stand-ins and dynalite, with a module loader hook that records every file loaded. The
 * size row of the benchmark (`tools/bench/rows/size.ts`) counts `bundleLayout(...).loaded`; this
 * proves that is what a cold container loads by the end of its first call (the state table's code
 * is imported from the init phase when the container has a table, and never without one), and that
 * no later delivery loads more.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpV2Event } from '../../dev/lambda-events.js';
import { type BundleLayout, bundleLayout } from '../../tools/bench/build.js';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';
import { type Dynalite, startDynalite } from '../support/dynalite.js';
import { type Harness, SECRET_NAME, startHarness } from '../support/harness.js';
import { runChild } from '../support/run-child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Records the file name of every module loaded from the bundle directory, one per line. */
const LOADER_HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
let dir;
export function initialize(data) { ({ log, dir } = data); }
export async function load(url, context, next) {
  if (url.startsWith(dir)) appendFileSync(log, url.slice(dir.length) + '\\n');
  return next(url, context);
}
`;

/**
 * The child: registers the hooks, then imports the bundle and runs the steps one by one, reporting
 * the files each step loaded (and its answer) as the last line of its output.
 */
const CHILD = `
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const log = process.argv[2];
writeFileSync(log, '');
register('./hooks.mjs', import.meta.url, { data: { log, dir: new URL('./bundle/', import.meta.url).href } });
const steps = JSON.parse(process.argv[3]);
let seen = 0;
const loadedSince = () => {
  const lines = readFileSync(log, 'utf8').split('\\n').filter(Boolean);
  const fresh = lines.slice(seen);
  seen = lines.length;
  return [...new Set(fresh)].sort();
};
const context = () => ({ awsRequestId: 'bundle-loading-' + Math.random(), getRemainingTimeInMillis: () => 30000 });
const report = [];
const { handler } = await import('./bundle/${BUNDLE_FILE}');
report.push({ step: 'import', loaded: loadedSince() });
for (const step of steps) {
  let answer;
  try {
    const result = await handler(step.event, context());
    answer = result?.statusCode ?? result?.status;
  } catch (error) {
    answer = error?.name + ': ' + error?.message;
  }
  report.push({ step: step.name, answer, loaded: loadedSince() });
}
process.stdout.write('\\nREPORT ' + JSON.stringify(report) + '\\n');
`;

interface StepReport {
  readonly step: string;
  readonly answer?: number | string;
  readonly loaded: readonly string[];
}

let h: Harness;
let dynamo: Dynalite;
let work: string;
let layout: BundleLayout;

beforeAll(async () => {
  [h, dynamo] = await Promise.all([startHarness(), startDynalite()]);
  work = await mkdtemp(join(tmpdir(), 'dcv-bundle-loading-'));
  const result = await build({
    ...esbuildOptions({ projectRoot: ROOT, outdir: join(work, 'bundle') }),
    metafile: true,
  });
  layout = bundleLayout(result.metafile);
  await Promise.all([
    writeFile(join(work, 'hooks.mjs'), LOADER_HOOKS),
    writeFile(join(work, 'child.mjs'), CHILD),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([h.close(), dynamo.close()]);
  await rm(work, { recursive: true, force: true });
});

/** Runs the bundle in a fresh process configured as the stack configures it; returns each step's report. */
async function runContainer(
  steps: readonly { name: string; event: unknown }[],
  { table = true }: { table?: boolean } = {},
): Promise<Map<string, StepReport>> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALSTANDIN',
    AWS_SECRET_ACCESS_KEY: 'local-stand-in-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: h.secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    // The stack's variables (infra/constructs/resend-function.ts), pointed at the stand-ins.
    DIGICERT_API_KEY_SECRET_ID: SECRET_NAME,
    DIGICERT_BASE_URL: h.simulator.baseUrl,
    DIGICERT_TIMEOUT_MS: '2000',
    SECRET_CACHE_TTL_SECONDS: '300',
    LOG_LEVEL: 'error',
    SERVICE_NAME: 'DcvResend',
    NODE_OPTIONS: '--enable-source-maps',
    DIGICERT_RATE_LIMIT_PER_5S: '90',
    DIGICERT_RATE_LIMIT_PER_3MIN: '900',
    DIGICERT_RATE_LIMIT_SHARE_DIVISOR: '80',
    ...(table ? { STATE_TABLE_NAME: dynamo.tableName } : {}),
    // Never written to by these steps: only queue consumers write refusals there.
    FAILURE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/failures',
    DNS_SERVERS: '127.0.0.1:9',
  };
  const { code, stdout, stderr } = await runChild(
    process.execPath,
    ['child.mjs', join(work, 'loaded.log'), JSON.stringify(steps)],
    { cwd: work, env },
  );
  const line = stdout.split('\n').find((text) => text.startsWith('REPORT '));
  if (code !== 0 || line === undefined)
    throw new Error(`the container exited ${code}:\n${stderr}\n${stdout}`);
  const reports = JSON.parse(line.slice('REPORT '.length)) as StepReport[];
  return new Map(reports.map((report) => [report.step, report]));
}

const names = (files: readonly { name: string }[]) => files.map((file) => file.name).sort();

/**
 * What the import and the first call loaded together: the entry starts importing the state table's
 * code while it is imported (Lambda's init phase), and the first call awaits it if it is not there yet.
 */
const importAndFirstCall = (steps: Map<string, StepReport>, first: string) =>
  [...new Set([...(steps.get('import')?.loaded ?? []), ...(steps.get(first)?.loaded ?? [])])].sort();

/**
 * A lazy chunk that only re-exports a Node built-in (`tools/bundle-builtins.ts`): the SDK's HTTP
 * handler `import()`s `node:http` for a plain-http endpoint, which the stand-ins and dynalite are and
 * Lambda's endpoints are not (https). A few hundred bytes, left out of the comparison.
 */
function isBuiltinShim(file: string): boolean {
  const chunk = layout.lazy.find((lazy) => lazy.name === file);
  return chunk?.contributors.every((c) => c.name.startsWith('tools/bundle-builtins/')) ?? false;
}
const withoutShims = (files: readonly string[] | undefined) =>
  (files ?? []).filter((file) => !isBuiltinShim(file));

describe('what a container of the deployed bundle loads', () => {
  it('loads at import exactly the files the size row counts, and resends without loading more', async () => {
    const steps = await runContainer([{ name: 'http', event: httpV2Event({ orderId: '91' }) }]);
    const imported = steps.get('import');
    const http = steps.get('http');

    expect(http?.answer).toBe(204);
    expect(h.simulator.requestsFor(91)).toHaveLength(1);
    expect(withoutShims(importAndFirstCall(steps, 'http'))).toEqual(names(layout.loaded));
    expect(imported?.loaded).toContain(BUNDLE_FILE);
    expect(withoutShims(imported?.loaded)).toEqual(
      expect.arrayContaining(names(layout.withoutTable).filter((name) => !isBuiltinShim(name))),
    );
  });

  it('loads none of the state table code without STATE_TABLE_NAME, and still resends', async () => {
    const steps = await runContainer([{ name: 'http', event: httpV2Event({ orderId: '95' }) }], {
      table: false,
    });
    const holdsDynamoDb = (file: { contributors: readonly { name: string }[] }) =>
      file.contributors.some((c) => c.name === '@aws-sdk/client-dynamodb');

    expect(steps.get('http')?.answer).toBe(204);
    expect(withoutShims(steps.get('import')?.loaded)).toEqual(names(layout.withoutTable));
    expect(layout.withoutTable.some(holdsDynamoDb)).toBe(false);
    expect(layout.loaded.some(holdsDynamoDb)).toBe(false);
    expect(withoutShims(steps.get('http')?.loaded)).toEqual([]);
  });

  it('loads the DynamoDB client and the Powertools store with the first delivery that has a key, and nothing more after', async () => {
    const idempotent = (orderId: string, key: string) =>
      httpV2Event({ orderId, headers: { 'idempotency-key': key } });
    const steps = await runContainer([
      { name: 'http', event: httpV2Event({ orderId: '92' }) },
      { name: 'http with a key', event: idempotent('93', 'bundle-loading-93') },
      { name: 'the same key again', event: idempotent('93', 'bundle-loading-93') },
      { name: 'direct', event: { order_id: 94 } },
    ]);
    const holds = (name: string) => (file: { contributors: readonly { name: string }[] }) =>
      file.contributors.some((c) => c.name === name);
    const keyed = steps.get('http with a key');
    const loadedByKey = layout.lazy.filter((file) => keyed?.loaded.includes(file.name));

    expect(layout.loaded.some(holds('@aws-lambda-powertools/idempotency'))).toBe(false);
    expect(layout.loaded.some(holds('@aws-sdk/client-dynamodb'))).toBe(false);
    expect(withoutShims(importAndFirstCall(steps, 'http'))).toEqual(names(layout.loaded));
    expect(steps.get('http')?.answer).toBe(204);
    expect(keyed?.answer).toBe(204);
    expect(loadedByKey.some(holds('@aws-lambda-powertools/idempotency'))).toBe(true);
    expect(loadedByKey.some(holds('@aws-sdk/client-dynamodb'))).toBe(true);
    expect(steps.get('the same key again')).toMatchObject({ answer: 204, loaded: [] });
    expect(steps.get('direct')).toMatchObject({ answer: 'sent', loaded: [] });
    // The replay was answered from the record: DigiCert was called once for order 93.
    expect(h.simulator.requestsFor(93)).toHaveLength(1);
    expect(h.simulator.requestsFor(94)).toHaveLength(1);
  });
});
