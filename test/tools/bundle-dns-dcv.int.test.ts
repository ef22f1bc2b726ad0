/**
 * DNS DCV through the deployable bundle, built exactly as the stack builds it: the start reaches the
 * Route 53 client (REST-XML), STS (Query, for the cross-account role) and Step Functions (JSON 1.0)
 * from their lazy chunks. `tools/bundle-options.ts` splits the SDK's protocol barrels so that the XML
 * and Query code lives in those chunks and not in what every cold start loads; this is the proof
 * that the split chunks still work when they are needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedOrder } from '../../dev/digicert-simulator.js';
import { fakeContext } from '../../dev/lambda-events.js';
import { StepFunctionsStandIn } from '../../dev/step-functions-standin.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';
import { ALLOWED_ZONE, type DnsDcvRig, SPF, startDnsDcvRig } from '../support/dns-dcv.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:dcv-resend-dns-dcv';
const ROLE = 'arn:aws:iam::210987654321:role/dcv-resend-route53';
const ORDER: SimulatedOrder = {
  id: 9301,
  status: 'pending',
  dnsNames: ['example.com'],
  dcvMethod: 'email',
  createdAt: Date.now() - 86_400_000,
};

let rig: DnsDcvRig;
let sfn: StepFunctionsStandIn;
let outdir: string;
let handler: Handler;
const saved = { ...process.env };

beforeAll(async () => {
  rig = await startDnsDcvRig();
  sfn = await StepFunctionsStandIn.start();
  rig.h.simulator.addOrders([ORDER]);
  Object.assign(process.env, rig.h.env, {
    DNS_DCV_HOSTED_ZONE_IDS: ALLOWED_ZONE.id,
    DNS_DCV_STATE_MACHINE_ARN: STATE_MACHINE,
    DNS_DCV_ROLE_ARN: ROLE,
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    // The stand-in answers STS's AssumeRole too.
    AWS_ENDPOINT_URL_STS: rig.route53.endpoint,
  });
  outdir = await mkdtemp(join(tmpdir(), 'dcv-bundle-dns-'));
  await build(esbuildOptions({ projectRoot: ROOT, outdir }));
  ({ handler } = (await import(pathToFileURL(join(outdir, BUNDLE_FILE)).href)) as { handler: Handler });
}, 90_000);
afterAll(async () => {
  process.env = saved;
  await Promise.all([rig.close(), sfn.close()]);
  await rm(outdir, { recursive: true, force: true });
});

describe('DNS DCV through the deployable bundle', () => {
  it('starts the workflow, publishes through the assumed role, and cleans up', async () => {
    const started = (await handler({ action: 'dns-dcv', order_id: ORDER.id }, fakeContext())) as unknown as {
      records: { published: boolean }[];
      execution: string;
      random_value: string;
    };
    const [execution] = [...sfn.executions.values()];
    const state = JSON.parse(execution?.input ?? '{}') as Record<string, unknown>;

    const published = (await handler({ dns_dcv_task: 'publish', state }, fakeContext())) as Record<
      string,
      unknown
    >;
    const txt = () =>
      rig.route53.recordSets(ALLOWED_ZONE.id).find((set) => set.name === 'example.com' && set.type === 'TXT')
        ?.values;
    const during = txt();
    await handler({ dns_dcv_task: 'cleanup', state: published }, fakeContext());

    expect(started.records).toEqual([expect.objectContaining({ published: true })]);
    expect(started.execution).toBe(execution?.executionArn);
    expect(during).toEqual([SPF, `"${started.random_value}"`]);
    expect(txt()).toEqual([SPF]);
    expect(rig.route53.assumedRoles).toContain(ROLE);
  });
});
