/**
 * The pending-DCV sweep's `migrate` policy (docs/contract.md §11, §12) wired to DNS DCV: an email
 * order whose every name is in an allowed hosted zone is moved to DNS DCV and validated by the
 * workflow; the others are resent by email, as the policy says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedOrder } from '../../dev/digicert-simulator.js';
import { SWEEP_METRICS } from '../../functions/app/contract.js';
import { ALLOWED_ZONE, type DnsDcvRig, SPF, startDnsDcvRig } from '../support/dns-dcv.js';
import { emfDocuments } from '../support/emf.js';

const HOUR = 3_600_000;
/** No budget waits: what is tested is what the sweep does, not how fast the budget lets it. */
const FAST = { DIGICERT_RATE_LIMIT_PER_5S: '1000000', DIGICERT_RATE_LIMIT_PER_3MIN: '1000000' };
const email = (id: number, dnsNames: string[]): SimulatedOrder => ({
  id,
  status: 'pending',
  dnsNames,
  dcvMethod: 'email',
  createdAt: Date.now() - 30 * HOUR,
});
const IN_ZONE = email(8301, ['example.com', 'www.example.com']);
const HALF_IN_ZONE = email(8302, ['shop.example.com', 'shop.other.net']);
const NO_ZONE = email(8303, ['legacy.example.org']);

let rig: DnsDcvRig;

beforeAll(async () => {
  rig = await startDnsDcvRig();
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.reset();
  rig.h.simulator.addOrders([IN_ZONE, HALF_IN_ZONE, NO_ZONE]);
});

const resent = () =>
  rig.h.simulator.requests
    .filter((request) => request.path.endsWith('/resend-emails'))
    .map((request) => request.orderId);

describe('the sweep under DCV_SWEEP_POLICY=migrate', () => {
  it('moves the order whose names are all in an allowed zone to DNS DCV, and resends the others', async () => {
    const { runtime, workflow } = rig.start({ ...FAST, DCV_SWEEP_POLICY: 'migrate' });

    const answer = await runtime.sweep.start({ dryRun: false }, { deadline: Date.now() + 30_000 });
    const [execution, ...more] = workflow.executions();
    const ended = await workflow.wait(execution?.executionArn ?? '');

    expect(answer).toMatchObject({ policy: 'migrate', dry_run: false });
    expect(more).toEqual([]);
    expect(execution?.name).toMatch(/^dcv-8301-/);
    expect(ended.status).toBe('SUCCEEDED');
    expect(rig.h.simulator.order(IN_ZONE.id)).toMatchObject({ status: 'issued', dcvMethod: 'dns-txt-token' });
    expect(resent().sort()).toEqual([HALF_IN_ZONE.id, NO_ZONE.id]);
    expect(rig.route53.recordSets(ALLOWED_ZONE.id).filter((set) => set.type === 'TXT')).toMatchObject([
      { name: 'example.com', values: [SPF] },
    ]);
    const migrations = emfDocuments(rig.h.logs).find((document) => SWEEP_METRICS.sweepMigrations in document);
    expect(migrations).toMatchObject({ [SWEEP_METRICS.sweepMigrations]: 1, [SWEEP_METRICS.sweepResends]: 2 });
  });

  it('migrates nothing when no zone is configured: every email order is resent', async () => {
    const { runtime, workflow } = rig.start({
      ...FAST,
      DCV_SWEEP_POLICY: 'migrate',
      DNS_DCV_HOSTED_ZONE_IDS: '',
    });

    await runtime.sweep.start({ dryRun: false }, { deadline: Date.now() + 30_000 });

    expect(workflow.executions()).toEqual([]);
    expect(resent().sort()).toEqual([IN_ZONE.id, HALF_IN_ZONE.id, NO_ZONE.id]);
    expect(rig.route53.requests).toEqual([]);
  });
});
