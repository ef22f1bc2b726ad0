/**
 * DNS DCV end to end (docs/contract.md §12): the start use case and the workflow's tasks through
 * the real handler, the in-process runner following the state machine, the DigiCert simulator
 * (whose check-dcv resolves through dns2), and the Route 53 stand-in reached by the real SDK.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedOrder } from '../../dev/digicert-simulator.js';
import { fakeContext } from '../../dev/lambda-events.js';
import { DNS_DCV_METRICS } from '../../functions/app/contract.js';
import { DigiCertRequestError } from '../../functions/lib/errors.js';
import { ALLOWED_ZONE, type DnsDcvRig, OTHER_ZONE, SPF, startDnsDcvRig, until } from '../support/dns-dcv.js';
import { emfDocuments, emfProblems } from '../support/emf.js';

const DAY = 86_400_000;
const EMAIL_ORDER: SimulatedOrder = {
  id: 8001,
  status: 'pending',
  dnsNames: ['example.com', '*.example.com', 'www.example.com'],
  dcvMethod: 'email',
  createdAt: Date.now() - 3 * DAY,
};
const OTHER_ORDER: SimulatedOrder = {
  id: 8002,
  status: 'pending',
  dnsNames: ['shop.other.net'],
  dcvMethod: 'email',
  createdAt: Date.now() - DAY,
};
const deadline = () => Date.now() + 20_000;

let rig: DnsDcvRig;

beforeAll(async () => {
  rig = await startDnsDcvRig();
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.reset();
  rig.h.simulator.addOrders([EMAIL_ORDER, OTHER_ORDER]);
});

const txtAt = (name: string) =>
  rig.route53.recordSets(ALLOWED_ZONE.id).find((set) => set.name === name && set.type === 'TXT');
const changes = () =>
  rig.route53.requests.filter((request) => request.operation === 'ChangeResourceRecordSets');
const metric = (name: string) => emfDocuments(rig.h.logs).filter((document) => name in document);

describe('a DNS-DCV workflow that ends validated', () => {
  it('publishes beside SPF, waits for INSYNC, checks until DigiCert sees it, then removes only its values', async () => {
    const { runtime, workflow } = rig.start();
    // DigiCert's first look finds nothing at the apex: the record is not visible yet.
    rig.hidden.add('example.com');

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    await until(() => (workflow.describe(started.execution)?.state.checks ?? 0) >= 1);
    rig.hidden.delete('example.com');
    const ended = await workflow.wait(started.execution);

    expect(started).toEqual({
      order_id: EMAIL_ORDER.id,
      method: 'dns-txt-token',
      random_value: expect.stringMatching(/^[0-9a-z]{32}$/),
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      // The wildcard shares the base name's record.
      records: [
        {
          name: 'example.com',
          type: 'TXT',
          value: started.random_value,
          hosted_zone_id: ALLOWED_ZONE.id,
          published: true,
        },
        {
          name: 'www.example.com',
          type: 'TXT',
          value: started.random_value,
          hosted_zone_id: ALLOWED_ZONE.id,
          published: true,
        },
      ],
      execution: expect.stringContaining(`:dcv-${EMAIL_ORDER.id}-${started.random_value.slice(0, 16)}`),
    });
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.history).toEqual([
      'Publish',
      ...ended.history.slice(1, ended.history.indexOf('Check')),
      'Check',
      'WaitBeforeCheck',
      'Check',
      'Cleanup',
      'Validated',
    ]);
    expect(ended.history.filter((step) => step === 'ChangeStatus').length).toBeGreaterThanOrEqual(2);
    expect(ended.state).toMatchObject({ in_sync: true, checks: 2, validated: true, last_codes: [] });
    // While it ran, DNS served SPF and our value together at the apex.
    expect(rig.served.get('example.com')?.at(-1)).toEqual([
      'v=spf1 include:_spf.example.com -all',
      started.random_value,
    ]);
    // Afterwards SPF is as it was (TTL kept), and the set we created is gone.
    expect(txtAt('example.com')).toMatchObject({ ttl: 300, values: [SPF] });
    expect(txtAt('www.example.com')).toBeUndefined();
    expect(rig.h.simulator.order(EMAIL_ORDER.id)).toMatchObject({
      status: 'issued',
      dcvMethod: 'dns-txt-token',
    });
  });

  it('creates a new TXT set with TTL 60 and writes DnsDcvStarted and DnsDcvValidated as valid EMF', async () => {
    const { runtime, workflow } = rig.start();
    let created: unknown;

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    await until(() => {
      created ??= txtAt('www.example.com');
      return workflow.describe(started.execution)?.status !== 'RUNNING';
    });
    await workflow.wait(started.execution);

    expect(created).toMatchObject({ ttl: 60, values: [`"${started.random_value}"`] });
    const [startedDoc] = metric(DNS_DCV_METRICS.started);
    const [validatedDoc] = metric(DNS_DCV_METRICS.validated);
    expect(startedDoc).toMatchObject({ [DNS_DCV_METRICS.started]: 1 });
    expect(validatedDoc).toMatchObject({
      [DNS_DCV_METRICS.validated]: 1,
      [DNS_DCV_METRICS.timeToValidation]: expect.any(Number),
    });
    expect([startedDoc, validatedDoc].flatMap(emfProblems)).toEqual([]);
    expect(metric(DNS_DCV_METRICS.failed)).toEqual([]);
  });
});

describe('where the records go', () => {
  it('with DNS_DCV_TXT_NAME=_dnsauth, publishes at _dnsauth.<name> and leaves the apex alone', async () => {
    const { runtime, workflow } = rig.start({ DNS_DCV_TXT_NAME: '_dnsauth' });
    const before = changes().length;

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const ended = await workflow.wait(started.execution);

    expect(started.records.map((record) => record.name)).toEqual([
      '_dnsauth.example.com',
      '_dnsauth.www.example.com',
    ]);
    expect(ended.status).toBe('SUCCEEDED');
    expect(rig.served.get('_dnsauth.example.com')?.at(-1)).toEqual([started.random_value]);
    expect(JSON.stringify(rig.served.get('example.com') ?? [])).not.toContain(started.random_value);
    expect(changes().length - before).toBe(4);
    expect(txtAt('example.com')?.values).toEqual([SPF]);
    expect(txtAt('_dnsauth.example.com')).toBeUndefined();
  });

  it('with dns-cname-token, points _dnsauth.<name> at <value>.dcv.digicert.com, then removes it', async () => {
    const { runtime, workflow } = rig.start();

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-cname-token', {
      deadline: deadline(),
    });
    const ended = await workflow.wait(started.execution);

    expect(started.records).toEqual([
      {
        name: '_dnsauth.example.com',
        type: 'CNAME',
        value: `${started.random_value}.dcv.digicert.com`,
        hosted_zone_id: ALLOWED_ZONE.id,
        published: true,
      },
      {
        name: '_dnsauth.www.example.com',
        type: 'CNAME',
        value: `${started.random_value}.dcv.digicert.com`,
        hosted_zone_id: ALLOWED_ZONE.id,
        published: true,
      },
    ]);
    expect(ended.status).toBe('SUCCEEDED');
    expect(rig.route53.recordSets(ALLOWED_ZONE.id).filter((set) => set.type === 'CNAME')).toEqual([]);
  });
});

describe('records outside the allowed zones', () => {
  it('answers published: false, writes nothing, and still checks until the record published by hand is seen', async () => {
    const { runtime, workflow } = rig.start();

    const started = await runtime.dnsDcv.start(OTHER_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    await until(() => (workflow.describe(started.execution)?.state.checks ?? 0) >= 1);
    // The user publishes it by hand in the zone this product may not touch.
    rig.route53.putRecordSet(OTHER_ZONE.id, {
      name: 'shop.other.net',
      type: 'TXT',
      ttl: 300,
      values: [`"${started.random_value}"`],
    });
    const ended = await workflow.wait(started.execution);

    expect(started.records).toEqual([
      {
        name: 'shop.other.net',
        type: 'TXT',
        value: started.random_value,
        hosted_zone_id: null,
        published: false,
      },
    ]);
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.state.checks).toBeGreaterThanOrEqual(2);
    expect(changes()).toEqual([]);
    // The record published by hand is the user's: the cleanup leaves it.
    expect(rig.route53.recordSets(OTHER_ZONE.id).find((set) => set.type === 'TXT')).toBeDefined();
  });

  it('with no zones configured, builds no Route 53 client and answers every record as published: false', async () => {
    const { runtime, workflow } = rig.start({ DNS_DCV_HOSTED_ZONE_IDS: '' });
    rig.hidden.add('example.com');

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    await until(() => (workflow.describe(started.execution)?.state.checks ?? 0) >= 1);
    await workflow.close();

    expect(started.records.map((record) => [record.hosted_zone_id, record.published])).toEqual([
      [null, false],
      [null, false],
    ]);
    expect(rig.route53.requests).toEqual([]);
  });
});

describe('a concurrent edit of the same TXT set', () => {
  it("loses neither value: the change fails, is read again and retried, and the cleanup keeps the other team's value", async () => {
    const { runtime, workflow } = rig.start();
    let raced = false;
    rig.route53.beforeChange((zoneId, batch) => {
      if (
        raced ||
        !batch.some((change) => change.action === 'DELETE' && change.set.name.startsWith('example.com'))
      )
        return;
      raced = true;
      rig.route53.putRecordSet(zoneId, {
        name: 'example.com',
        type: 'TXT',
        ttl: 300,
        values: [SPF, '"google-site-verification=abc"'],
      });
    });

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const ended = await workflow.wait(started.execution);

    expect(raced).toBe(true);
    expect(ended.status).toBe('SUCCEEDED');
    expect(rig.served.get('example.com')?.at(-1)).toEqual([
      'v=spf1 include:_spf.example.com -all',
      'google-site-verification=abc',
      started.random_value,
    ]);
    expect(txtAt('example.com')?.values).toEqual([SPF, '"google-site-verification=abc"']);
  });
});

describe('failures', () => {
  it("refuses the start with DigiCert's 403 on dcv-method: no workflow, nothing written", async () => {
    const { runtime, workflow } = rig.start();
    rig.h.simulator.scriptDcv(EMAIL_ORDER.id, 'dcv-method', { kind: 'forbidden' });

    const failure = await runtime.dnsDcv
      .start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DigiCertRequestError);
    expect((failure as DigiCertRequestError).status).toBe(403);
    expect(workflow.executions()).toEqual([]);
    expect(rig.route53.requests).toEqual([]);
  });

  it('ends not validated when the random value expires, removes the record and counts Reason RandomValueExpired', async () => {
    const { runtime, workflow } = rig.start();
    // Already on TXT with a value that expires in a moment; DigiCert never sees the record.
    rig.h.simulator.addOrders([
      {
        ...EMAIL_ORDER,
        dcvMethod: 'dns-txt-token',
        randomValue: { value: 'expiring0value0000000000000000ab', expiresAt: Date.now() + 1_500 },
      },
    ]);
    rig.hidden.add('example.com');
    rig.hidden.add('www.example.com');

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const ended = await workflow.wait(started.execution);

    expect(started.random_value).toBe('expiring0value0000000000000000ab');
    expect(ended).toMatchObject({ status: 'FAILED', error: 'DnsDcvNotValidated' });
    expect(ended.state).toMatchObject({ validated: false, expired: true, gave_up: true });
    expect(ended.history.slice(-2)).toEqual(['CleanupAfterFailure', 'NotValidated']);
    expect(txtAt('example.com')?.values).toEqual([SPF]);
    expect(txtAt('www.example.com')).toBeUndefined();
    const [failed] = metric(DNS_DCV_METRICS.failed);
    expect(failed).toMatchObject({
      [DNS_DCV_METRICS.failed]: 1,
      [DNS_DCV_METRICS.reasonDimension]: 'RandomValueExpired',
    });
    expect(emfProblems(failed)).toEqual([]);
    expect(
      (failed?._aws as { CloudWatchMetrics: { Dimensions: unknown }[] } | undefined)?.CloudWatchMetrics[0]
        ?.Dimensions,
    ).toEqual([['Service'], ['Service', 'Reason']]);
  });

  it('still removes the record when the function crashes between publish and cleanup', async () => {
    const { runtime, workflow } = rig.start(
      {},
      {
        invoke: async (handler, event) => {
          if ((event as { dns_dcv_task?: string }).dns_dcv_task === 'check') {
            const crash = new Error('Task timed out after 300.00 seconds');
            crash.name = 'Sandbox.Timedout';
            throw crash;
          }
          return handler(event, fakeContext());
        },
      },
    );
    let publishedValues: readonly string[] | undefined;

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    await until(() => {
      publishedValues ??= txtAt('www.example.com')?.values;
      return workflow.describe(started.execution)?.status !== 'RUNNING';
    });
    const ended = await workflow.wait(started.execution);

    expect(publishedValues).toEqual([`"${started.random_value}"`]);
    expect(ended).toMatchObject({ status: 'FAILED', error: 'DnsDcvNotValidated' });
    expect(JSON.parse(ended.cause ?? '{}')).toMatchObject({ Error: 'Sandbox.Timedout' });
    expect(txtAt('example.com')?.values).toEqual([SPF]);
    expect(txtAt('www.example.com')).toBeUndefined();
    expect(metric(DNS_DCV_METRICS.failed)[0]).toMatchObject({
      [DNS_DCV_METRICS.reasonDimension]: 'Sandbox.Timedout',
    });
  });

  it('never overwrites a CNAME: DnsRecordConflict, then the cleanup leaves the CNAME alone', async () => {
    const { runtime, workflow } = rig.start();
    rig.route53.putRecordSet(ALLOWED_ZONE.id, {
      name: 'www.example.com',
      type: 'CNAME',
      ttl: 300,
      values: ['example.com.'],
    });

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const ended = await workflow.wait(started.execution);

    expect(ended).toMatchObject({ status: 'FAILED', error: 'DnsDcvNotValidated' });
    expect(JSON.parse(ended.cause ?? '{}')).toMatchObject({ Error: 'DnsRecordConflict' });
    expect(
      rig.route53.recordSets(ALLOWED_ZONE.id).find((set) => set.name === 'www.example.com'),
    ).toMatchObject({
      type: 'CNAME',
      values: ['example.com.'],
    });
    expect(txtAt('example.com')?.values).toEqual([SPF]);
  });
});

describe('transient failures', () => {
  it('retries a publish that Route 53 throttled past the SDK retries (UpstreamError), and still validates', async () => {
    const { runtime, workflow } = rig.start();
    // Every attempt of the SDK's first call (4) is throttled: the task fails with UpstreamError.
    rig.route53.failNext('ChangeResourceRecordSets', 'Throttling', { times: 4 });

    const started = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const ended = await workflow.wait(started.execution);

    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.history.filter((step) => step === 'Publish')).toEqual(['Publish']);
    expect(changes().length).toBeGreaterThan(4);
    expect(txtAt('example.com')?.values).toEqual([SPF]);
  }, 30_000);
});

describe('starting twice', () => {
  it('answers the running execution instead of starting a second one', async () => {
    const { runtime, workflow } = rig.start();
    rig.hidden.add('example.com');

    const first = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    const second = await runtime.dnsDcv.start(EMAIL_ORDER.id, 'dns-txt-token', { deadline: deadline() });
    rig.hidden.delete('example.com');
    await workflow.wait(first.execution);

    expect(second.execution).toBe(first.execution);
    expect(second.random_value).toBe(first.random_value);
    expect(workflow.executions()).toHaveLength(1);
    expect(metric(DNS_DCV_METRICS.started)).toHaveLength(1);
  });
});
