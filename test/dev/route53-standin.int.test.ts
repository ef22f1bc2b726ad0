/**
 * The Route 53 stand-in speaks what Route 53 speaks to the real SDK client: the change batch's
 * all-or-nothing rules, its error XML, escaped names and paging.
 */
import { request } from 'node:http';
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pointRoute53At, Route53StandIn } from '../../dev/route53-standin.js';

const SPF = '"v=spf1 -all"';
let standIn: Route53StandIn;
let client: Route53Client;

beforeEach(async () => {
  standIn = await Route53StandIn.start({
    zones: [
      {
        id: 'ZEXAMPLE',
        name: 'example.com',
        records: [{ name: 'example.com', type: 'TXT', ttl: 300, values: [SPF] }],
      },
    ],
  });
  pointRoute53At(standIn.endpoint);
  client = new Route53Client({ maxAttempts: 1 });
});
afterEach(async () => {
  client.destroy();
  await standIn.close();
});

function txt(name: string, ttl: number, ...values: string[]): Change['ResourceRecordSet'] {
  return { Name: name, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) };
}

async function change(...changes: Change[]) {
  return client.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: 'ZEXAMPLE', ChangeBatch: { Changes: changes } }),
  );
}

describe('Route53StandIn', () => {
  it.each([
    [
      'a DELETE whose TTL differs from the current set',
      [{ Action: 'DELETE', ResourceRecordSet: txt('example.com.', 60, SPF) }],
    ],
    [
      'a DELETE whose values differ from the current set',
      [{ Action: 'DELETE', ResourceRecordSet: txt('example.com.', 300, '"x"') }],
    ],
    [
      'a CREATE of a set that exists',
      [{ Action: 'CREATE', ResourceRecordSet: txt('example.com.', 300, '"x"') }],
    ],
    [
      'an unquoted TXT value',
      [{ Action: 'CREATE', ResourceRecordSet: txt('a.example.com.', 300, 'two words') }],
    ],
  ] as const)('refuses %s with InvalidChangeBatch', async (_, changes) => {
    await expect(change(...changes)).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      $metadata: { httpStatusCode: 400 },
    });
    expect(standIn.lookup('example.com', 'TXT')?.values).toEqual([SPF]);
  });

  it('applies a batch all or nothing', async () => {
    const batch: Change[] = [
      { Action: 'CREATE', ResourceRecordSet: txt('a.example.com.', 60, '"a"') },
      { Action: 'DELETE', ResourceRecordSet: txt('example.com.', 300, '"not there"') },
    ];

    await expect(change(...batch)).rejects.toMatchObject({ name: 'InvalidChangeBatch' });

    expect(standIn.lookup('a.example.com', 'TXT')).toBeUndefined();
  });

  it('returns a wildcard name escaped and fully qualified, and pages with NextRecordName', async () => {
    await change({ Action: 'CREATE', ResourceRecordSet: txt('*.example.com', 60, '"w"') });

    const first = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: 'ZEXAMPLE',
        StartRecordName: 'example.com',
        StartRecordType: 'TXT',
        MaxItems: 1,
      }),
    );
    const second = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: 'ZEXAMPLE',
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
        MaxItems: 1,
      }),
    );

    expect(first.ResourceRecordSets?.map((s) => [s.Name, s.Type])).toEqual([['example.com.', 'TXT']]);
    expect(first).toMatchObject({
      IsTruncated: true,
      NextRecordName: '\\052.example.com.',
      NextRecordType: 'TXT',
    });
    expect(second.ResourceRecordSets?.map((s) => s.Name)).toEqual(['\\052.example.com.']);
  });

  it('answers a call it does not serve with an error and records it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request(`${standIn.endpoint}/2013-04-01/healthcheck`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });

    expect(status).toBe(400);
    expect(standIn.protocolErrors).toEqual(['the stand-in does not serve GET /2013-04-01/healthcheck']);
  });
});
