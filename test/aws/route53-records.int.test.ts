/**
 * The Route 53 adapter through the real SDK client against the loopback stand-in
 * (dev/route53-standin.ts), reached through `AWS_ENDPOINT_URL_ROUTE_53` as the SDK reads it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ASSUMED_ACCESS_KEY_ID,
  pointRoute53At,
  Route53StandIn,
  type StandInZone,
} from '../../dev/route53-standin.js';
import { createRoute53Client } from '../../functions/aws/route53/client.js';
import {
  ChangeRefusedError,
  RecordConflictError,
  RecordNameError,
  Route53Error,
} from '../../functions/aws/route53/errors.js';
import { Route53Records } from '../../functions/aws/route53/records.js';

const SPF = '"v=spf1 include:_spf.example.com -all"';
const VALUE = 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc';
const zones: StandInZone[] = [
  {
    id: 'ZEXAMPLE',
    name: 'example.com',
    records: [{ name: 'example.com', type: 'TXT', ttl: 300, values: [SPF] }],
  },
  { id: 'ZSUB', name: 'sub.example.com' },
  { id: 'ZPRIVATE', name: 'internal.example.com', private: true },
  { id: 'ZOTHER', name: 'example.org' },
];

let standIn: Route53StandIn;
let records: Route53Records;

beforeEach(async () => {
  standIn = await Route53StandIn.start({ zones });
  pointRoute53At(standIn.endpoint);
  records = new Route53Records(createRoute53Client());
});
afterEach(async () => {
  await standIn.close();
});

function txtAt(name: string): readonly string[] | undefined {
  return standIn.lookup(name, 'TXT')?.values;
}

describe('Route53Records.findZone', () => {
  it('picks the longest matching zone: sub.example.com over example.com', async () => {
    const match = await records.findZone('www.sub.example.com', ['ZEXAMPLE', 'ZSUB']);

    expect(match).toEqual({ allowed: true, zoneId: 'ZSUB', zoneName: 'sub.example.com' });
  });

  it('ignores a private zone of the same name and falls back to the public parent', async () => {
    const match = await records.findZone('db.internal.example.com', ['ZEXAMPLE', 'ZPRIVATE']);

    expect(match).toEqual({ allowed: true, zoneId: 'ZEXAMPLE', zoneName: 'example.com' });
  });

  it('answers not allowed, naming the zone, when the zone that holds the name is not among the allowed ones', async () => {
    const match = await records.findZone('www.sub.example.com', ['ZEXAMPLE']);

    expect(match).toEqual({
      allowed: false,
      reason: 'zone_not_allowed',
      zoneId: 'ZSUB',
      zoneName: 'sub.example.com',
    });
  });

  it('answers no public zone for a name no zone holds, and no zones without asking when none are allowed', async () => {
    expect(await records.findZone('example.net', ['ZEXAMPLE'])).toEqual({
      allowed: false,
      reason: 'no_public_zone',
    });
    const before = standIn.requests.length;
    expect(await records.findZone('example.com', [])).toEqual({ allowed: false, reason: 'no_zones' });
    expect(standIn.requests.length).toBe(before);
  });

  it('accepts names in any case, with a trailing dot, and zone ids with their /hostedzone/ prefix', async () => {
    const match = await records.findZone('WWW.Example.COM.', ['/hostedzone/ZEXAMPLE']);

    expect(match).toEqual({ allowed: true, zoneId: 'ZEXAMPLE', zoneName: 'example.com' });
  });

  it('refuses what is not a DNS name', async () => {
    await expect(records.findZone('exa mple.com', ['ZEXAMPLE'])).rejects.toBeInstanceOf(RecordNameError);
  });
});

describe("Route53Records.findZone from one list of the account's zones", () => {
  const listings = () => standIn.requests.filter((r) => r.operation === 'ListHostedZonesByName').length;

  it('answers many names, in different zones and levels deep, from one ListHostedZonesByName', async () => {
    const found = [
      await records.findZone('a.b.c.example.com', ['ZEXAMPLE']),
      await records.findZone('www.sub.example.com', ['ZSUB']),
      await records.findZone('shop.example.org', ['ZOTHER']),
      await records.findZone('example.net', ['ZEXAMPLE']),
    ];

    expect(found.map((match) => (match.allowed ? match.zoneId : match.reason))).toEqual([
      'ZEXAMPLE',
      'ZSUB',
      'ZOTHER',
      'no_public_zone',
    ]);
    expect(listings()).toBe(1);
  });

  it('lists the zones again once its list is older than zoneListMs, and sees a zone created meanwhile', async () => {
    let now = 1_000_000;
    const timed = new Route53Records(createRoute53Client(), { zoneListMs: 60_000, now: () => now });
    await timed.findZone('www.example.com', ['ZEXAMPLE']);
    standIn.addZone({ id: 'ZWWW', name: 'www.example.com' });

    const within = await timed.findZone('www.example.com', ['ZEXAMPLE', 'ZWWW']);
    now += 60_000;
    const after = await timed.findZone('www.example.com', ['ZEXAMPLE', 'ZWWW']);

    expect(within).toMatchObject({ allowed: true, zoneId: 'ZEXAMPLE' });
    expect(after).toMatchObject({ allowed: true, zoneId: 'ZWWW' });
    expect(listings()).toBe(2);
  });

  it('does not keep a listing that failed: the next call asks again', async () => {
    standIn.failNext('ListHostedZonesByName', 'AccessDenied', { status: 403 });

    await expect(records.findZone('www.example.com', ['ZEXAMPLE'])).rejects.toBeInstanceOf(Route53Error);
    const match = await records.findZone('www.example.com', ['ZEXAMPLE']);

    expect(match).toMatchObject({ allowed: true, zoneId: 'ZEXAMPLE' });
    expect(listings()).toBe(2);
  });

  it('asks name by name when the account has more zones than its pages hold', async () => {
    standIn.addZone({ id: 'ZMORE', name: 'example.net' });
    standIn.addZone({ id: 'ZWWW', name: 'www.example.com' });
    // Six zones at one per page: more than the five pages it lists.
    const paged = new Route53Records(createRoute53Client(), { pageSize: 1 });

    const match = await paged.findZone('shop.www.example.com', ['ZEXAMPLE']);

    expect(match).toEqual({
      allowed: false,
      reason: 'zone_not_allowed',
      zoneId: 'ZWWW',
      zoneName: 'www.example.com',
    });
    // Five pages of the list, then the names `shop.www.example.com` and `www.example.com`.
    expect(listings()).toBe(7);
  });
});

describe('Route53Records.publish', () => {
  it('adds the value beside SPF in one change batch, keeping the set TTL', async () => {
    const changeId = await records.publish({
      zoneId: 'ZEXAMPLE',
      name: 'example.com',
      type: 'TXT',
      value: VALUE,
    });

    expect(changeId).toMatch(/^C/);
    expect(standIn.lookup('example.com', 'TXT')).toMatchObject({ ttl: 300, values: [SPF, `"${VALUE}"`] });
    expect(standIn.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(1);
  });

  it('creates the set with TTL 60 where there was none', async () => {
    await records.publish({ zoneId: 'ZSUB', name: 'sub.example.com', type: 'TXT', value: VALUE });

    expect(standIn.lookup('sub.example.com', 'TXT')).toMatchObject({ ttl: 60, values: [`"${VALUE}"`] });
  });

  it('changes nothing when the value is already there', async () => {
    await records.publish({ zoneId: 'ZEXAMPLE', name: 'example.com', type: 'TXT', value: VALUE });

    const again = await records.publish({
      zoneId: 'ZEXAMPLE',
      name: 'example.com',
      type: 'TXT',
      value: VALUE,
    });

    expect(again).toBeUndefined();
    expect(standIn.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(1);
  });

  it('publishes a wildcard name at its base name', async () => {
    await records.publish({ zoneId: 'ZSUB', name: '*.sub.example.com', type: 'TXT', value: VALUE });

    expect(txtAt('sub.example.com')).toEqual([`"${VALUE}"`]);
    expect(standIn.recordSets('ZSUB').some((set) => set.name.startsWith('*'))).toBe(false);
  });

  it('keeps a value another team added between its read and its write, by reading again', async () => {
    let edits = 0;
    standIn.beforeChange((zoneId) => {
      if (edits++ > 0) return;
      standIn.putRecordSet(zoneId, {
        name: 'example.com',
        type: 'TXT',
        ttl: 300,
        values: [SPF, '"google-site-verification=x"'],
      });
    });

    await records.publish({ zoneId: 'ZEXAMPLE', name: 'example.com', type: 'TXT', value: VALUE });

    expect(txtAt('example.com')).toEqual([SPF, '"google-site-verification=x"', `"${VALUE}"`]);
    expect(
      standIn.requests.filter((r) => r.operation === 'ChangeResourceRecordSets').map((r) => r.status),
    ).toEqual([400, 200]);
  });

  it('gives up with ChangeRefusedError after 3 refused batches while the set keeps changing', async () => {
    let edits = 0;
    standIn.beforeChange((zoneId) => {
      edits += 1;
      standIn.putRecordSet(zoneId, {
        name: 'example.com',
        type: 'TXT',
        ttl: 300,
        values: [SPF, `"edit-${edits}"`],
      });
    });

    const publishing = records.publish({
      zoneId: 'ZEXAMPLE',
      name: 'example.com',
      type: 'TXT',
      value: VALUE,
    });

    await expect(publishing).rejects.toBeInstanceOf(ChangeRefusedError);
    await expect(publishing).rejects.toMatchObject({
      attempts: 3,
      message: expect.stringContaining('example.com'),
    });
    expect(standIn.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(3);
    expect(txtAt('example.com')).toEqual([SPF, '"edit-3"']);
  });

  it('creates a CNAME, and finds it already there the second time', async () => {
    const target = `${VALUE}.dcv.digicert.com`;
    const record = {
      zoneId: 'ZEXAMPLE',
      name: '_dnsauth.example.com',
      type: 'CNAME',
      value: target,
    } as const;

    expect(await records.publish(record)).toMatch(/^C/);
    expect(await records.publish({ ...record, value: `${target.toUpperCase()}.` })).toBeUndefined();
    expect(standIn.lookup('_dnsauth.example.com', 'CNAME')?.values).toEqual([target]);
  });

  it('never overwrites a CNAME pointing elsewhere, nor puts a CNAME beside other records', async () => {
    standIn.putRecordSet('ZEXAMPLE', {
      name: '_dnsauth.example.com',
      type: 'CNAME',
      ttl: 300,
      values: ['elsewhere.example.net'],
    });

    const attempts = [
      { zoneId: 'ZEXAMPLE', name: '_dnsauth.example.com', type: 'CNAME', value: `${VALUE}.dcv.digicert.com` },
      { zoneId: 'ZEXAMPLE', name: '_dnsauth.example.com', type: 'TXT', value: VALUE },
      { zoneId: 'ZEXAMPLE', name: 'example.com', type: 'CNAME', value: 'x.dcv.digicert.com' },
    ] as const;

    for (const record of attempts) {
      await expect(records.publish(record)).rejects.toBeInstanceOf(RecordConflictError);
    }
    expect(standIn.lookup('_dnsauth.example.com', 'CNAME')?.values).toEqual(['elsewhere.example.net']);
    expect(standIn.requests.filter((r) => r.operation === 'ChangeResourceRecordSets')).toHaveLength(0);
  });

  it('reports a zone Route 53 does not know as a Route53Error that is not worth retrying', async () => {
    const publishing = records.publish({ zoneId: 'ZGONE', name: 'example.com', type: 'TXT', value: VALUE });

    await expect(publishing).rejects.toBeInstanceOf(Route53Error);
    await expect(publishing).rejects.toMatchObject({ code: 'NoSuchHostedZone', retryable: false });
  });
});

describe('Route53Records listing page by page', () => {
  it('reads every set at the name and every zone of the name across pages', async () => {
    standIn.addZone({ id: 'ZAOTHER', name: 'example.com' });
    const paged = new Route53Records(createRoute53Client(), { pageSize: 1 });

    const match = await paged.findZone('www.example.com', ['ZEXAMPLE']);
    await paged.publish({ zoneId: 'ZEXAMPLE', name: 'example.com', type: 'TXT', value: VALUE });

    expect(match).toMatchObject({ allowed: true, zoneId: 'ZEXAMPLE' });
    expect(txtAt('example.com')).toEqual([SPF, `"${VALUE}"`]);
    expect(
      standIn.requests.filter((r) => r.operation === 'ListResourceRecordSets').length,
    ).toBeGreaterThanOrEqual(3);
  });
});

describe('Route53Records.cleanup', () => {
  it('removes only our value and keeps SPF and its TTL', async () => {
    await records.publish({ zoneId: 'ZEXAMPLE', name: 'example.com', type: 'TXT', value: VALUE });

    const changeId = await records.cleanup({
      zoneId: 'ZEXAMPLE',
      name: 'example.com',
      type: 'TXT',
      value: VALUE,
    });

    expect(changeId).toMatch(/^C/);
    expect(standIn.lookup('example.com', 'TXT')).toMatchObject({ ttl: 300, values: [SPF] });
  });

  it('removes the set when our value was all it held, and changes nothing once it is gone', async () => {
    const record = { zoneId: 'ZSUB', name: 'sub.example.com', type: 'TXT', value: VALUE } as const;
    await records.publish(record);

    await records.cleanup(record);
    const again = await records.cleanup(record);

    expect(txtAt('sub.example.com')).toBeUndefined();
    expect(again).toBeUndefined();
  });

  it('keeps a value added by someone else while it cleaned up', async () => {
    const record = { zoneId: 'ZSUB', name: 'sub.example.com', type: 'TXT', value: VALUE } as const;
    await records.publish(record);
    let edits = 0;
    standIn.beforeChange((zoneId) => {
      if (edits++ > 0) return;
      standIn.putRecordSet(zoneId, {
        name: 'sub.example.com',
        type: 'TXT',
        ttl: 60,
        values: [`"${VALUE}"`, '"theirs"'],
      });
    });

    await records.cleanup(record);

    expect(txtAt('sub.example.com')).toEqual(['"theirs"']);
  });

  it('leaves a CNAME pointing elsewhere alone and removes its own', async () => {
    const ours = {
      zoneId: 'ZEXAMPLE',
      name: '_dnsauth.example.com',
      type: 'CNAME',
      value: `${VALUE}.dcv.digicert.com`,
    } as const;
    standIn.putRecordSet('ZEXAMPLE', {
      name: '_dnsauth.example.com',
      type: 'CNAME',
      ttl: 300,
      values: ['elsewhere.example.net'],
    });

    expect(await records.cleanup(ours)).toBeUndefined();
    standIn.putRecordSet('ZEXAMPLE', {
      name: '_dnsauth.example.com',
      type: 'CNAME',
      ttl: 300,
      values: [ours.value],
    });
    expect(await records.cleanup(ours)).toMatch(/^C/);
    expect(standIn.lookup('_dnsauth.example.com', 'CNAME')).toBeUndefined();
  });
});

describe('Route53Records.waitInSync', () => {
  it('polls GetChange until INSYNC', async () => {
    standIn.setInSyncAfter({ polls: 2 });
    const changeId = await records.publish({
      zoneId: 'ZSUB',
      name: 'sub.example.com',
      type: 'TXT',
      value: VALUE,
    });
    if (changeId === undefined) throw new Error('expected a change');

    const status = await records.waitInSync(changeId, { deadline: Date.now() + 5_000, pollMs: 20 });

    expect(status).toBe('INSYNC');
    expect(standIn.requests.filter((r) => r.operation === 'GetChange')).toHaveLength(3);
  });

  it('answers PENDING once the deadline passes, without polling past it', async () => {
    standIn.setInSyncAfter({ polls: 1_000_000 });
    const changeId = await records.publish({
      zoneId: 'ZSUB',
      name: 'sub.example.com',
      type: 'TXT',
      value: VALUE,
    });
    if (changeId === undefined) throw new Error('expected a change');
    const started = Date.now();

    const status = await records.waitInSync(changeId, { deadline: started + 300, pollMs: 50 });

    expect(status).toBe('PENDING');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(standIn.requests.filter((r) => r.operation === 'GetChange').length).toBeLessThanOrEqual(8);
  });
});

describe('createRoute53Client with a role to assume', () => {
  it('signs the Route 53 calls with the assumed role credentials, assuming it once', async () => {
    const assumed = new Route53Records(
      createRoute53Client({ roleArn: 'arn:aws:iam::210987654321:role/dns-dcv' }),
    );

    await assumed.findZone('www.example.com', ['ZEXAMPLE']);
    await assumed.publish({ zoneId: 'ZEXAMPLE', name: 'example.com', type: 'TXT', value: VALUE });

    expect(standIn.assumedRoles).toEqual(['arn:aws:iam::210987654321:role/dns-dcv']);
    const route53Calls = standIn.requests.filter((r) => r.operation !== 'AssumeRole');
    expect(route53Calls.length).toBeGreaterThan(0);
    expect(route53Calls.every((r) => r.accessKeyId === ASSUMED_ACCESS_KEY_ID)).toBe(true);
  });
});

describe('Route53Records when Route 53 throttles or hangs', () => {
  it('rides out throttling through the SDK retries', async () => {
    standIn.failNext('ChangeResourceRecordSets', 'PriorRequestNotComplete');
    standIn.failNext('ListResourceRecordSets', 'Throttling');

    const changeId = await records.publish({
      zoneId: 'ZSUB',
      name: 'sub.example.com',
      type: 'TXT',
      value: VALUE,
    });

    expect(changeId).toMatch(/^C/);
    expect(standIn.requests.filter((r) => r.status === 400).map((r) => r.operation)).toEqual([
      'ListResourceRecordSets',
      'ChangeResourceRecordSets',
    ]);
  });

  it('gives up on a Route 53 that keeps throttling after the bounded attempts, as a retryable Route53Error', async () => {
    standIn.failNext('ListHostedZonesByName', 'Throttling', { times: Number.POSITIVE_INFINITY });
    const bounded = new Route53Records(createRoute53Client({ bounds: { maxAttempts: 2 } }));

    const finding = bounded.findZone('www.example.com', ['ZEXAMPLE']);

    await expect(finding).rejects.toMatchObject({
      name: 'Route53Error',
      code: 'Throttling',
      retryable: true,
    });
    expect(standIn.requests.filter((r) => r.operation === 'ListHostedZonesByName')).toHaveLength(2);
  });

  it('stops waiting for a hung Route 53 within its request timeout', async () => {
    standIn.setDelay(5_000);
    const bounded = new Route53Records(
      createRoute53Client({ bounds: { maxAttempts: 1, requestTimeoutMs: 200 } }),
    );
    const started = Date.now();

    const status = bounded.changeStatus('C0000STANDIN');

    await expect(status).rejects.toMatchObject({
      name: 'Route53Error',
      code: 'TimeoutError',
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
