/**
 * The ways into DNS DCV (docs/contract.md §12) through the real handler: `POST
 * /order/certificate/{order_id}/dcv/dns` (202 with the contract's body), the direct action
 * `{"action": "dns-dcv"}`, and the workflow's task events; bad input never reaches DigiCert.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedOrder } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { HttpResponse } from '../../functions/triggers/api-gateway.js';
import { ALLOWED_ZONE, type DnsDcvRig, startDnsDcvRig } from '../support/dns-dcv.js';
import { invoke, rejection } from '../support/invocations.js';

const ORDER: SimulatedOrder = {
  id: 8101,
  status: 'pending',
  dnsNames: ['api.example.com'],
  dcvMethod: 'email',
  createdAt: Date.now() - 86_400_000,
};

let rig: DnsDcvRig;

beforeAll(async () => {
  rig = await startDnsDcvRig();
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.reset();
  rig.h.simulator.addOrders([ORDER]);
});

async function post(orderId: string, body?: string, method = 'POST') {
  const { handler, workflow } = rig.start();
  const event = httpV2Event({ method, orderId, path: `/order/certificate/${orderId}/dcv/dns`, body });
  const response = (await handler(event, fakeContext())) as HttpResponse;
  await workflow.close();
  return response;
}

const digicertCalls = () => rig.h.simulator.requests.length;

describe('POST /order/certificate/{order_id}/dcv/dns', () => {
  it('answers 202 with the contract body: method, random value, records and the execution', async () => {
    const response = await post(String(ORDER.id), JSON.stringify({ method: 'dns-cname-token' }));

    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body) as { random_value: string };
    expect(body).toEqual({
      order_id: ORDER.id,
      method: 'dns-cname-token',
      random_value: expect.any(String),
      expires_at: expect.any(String),
      records: [
        {
          name: '_dnsauth.api.example.com',
          type: 'CNAME',
          value: `${body.random_value}.dcv.digicert.com`,
          hosted_zone_id: ALLOWED_ZONE.id,
          published: true,
        },
      ],
      execution: expect.stringMatching(/^arn:aws:states:.*:execution:.*:dcv-8101-/),
    });
  });

  it('takes TXT when there is no body', async () => {
    const response = await post(String(ORDER.id));

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ method: 'dns-txt-token', records: [{ type: 'TXT' }] });
  });

  it.each([
    ['an order id that is not a number', 'abc', undefined, 'order_id', 'invalid_order_id'],
    ['an order id of 13 digits', '1234567890123', undefined, 'order_id', 'invalid_order_id'],
    ['an unknown method', String(ORDER.id), '{"method":"dns-a-record"}', 'method', 'invalid_input'],
    [
      'a field that is not known',
      String(ORDER.id),
      '{"method":"dns-txt-token","ttl":5}',
      'ttl',
      'invalid_input',
    ],
  ])(
    'answers 400 naming the field for %s, without calling DigiCert',
    async (_, orderId, body, field, code) => {
      const response = await post(orderId, body);

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({ errors: [expect.objectContaining({ code, field })] });
      expect(digicertCalls()).toBe(0);
    },
  );

  it('answers 405 with Allow: POST for another method', async () => {
    const response = await post(String(ORDER.id), undefined, 'GET');

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(digicertCalls()).toBe(0);
  });

  it('answers 500 without calling DigiCert when no workflow is configured', async () => {
    const handler = rig.h.handler({ DNS_DCV_HOSTED_ZONE_IDS: ALLOWED_ZONE.id });
    const event = httpV2Event({
      method: 'POST',
      orderId: String(ORDER.id),
      path: `/order/certificate/${ORDER.id}/dcv/dns`,
    });

    const response = (await handler(event, fakeContext())) as HttpResponse;

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ code: 'internal_error', message: 'Internal error' }],
    });
    expect(digicertCalls()).toBe(0);
  });

  it("passes DigiCert's 403 on dcv-method through, starting nothing", async () => {
    rig.h.simulator.scriptDcv(ORDER.id, 'dcv-method', { kind: 'forbidden' });

    const response = await post(String(ORDER.id));

    expect(response.statusCode).toBe(403);
    expect(rig.route53.requests).toEqual([]);
  });
});

describe('{"action": "dns-dcv"}', () => {
  it('answers the same body as the HTTP route', async () => {
    const { handler, workflow } = rig.start();

    const answer = await invoke(handler, { action: 'dns-dcv', order_id: ORDER.id });
    await workflow.close();

    expect(answer).toMatchObject({
      order_id: ORDER.id,
      method: 'dns-txt-token',
      records: [{ name: 'api.example.com', type: 'TXT', hosted_zone_id: ALLOWED_ZONE.id, published: true }],
      execution: expect.stringContaining(':execution:'),
    });
  });

  it.each([
    ['a negative order id', { action: 'dns-dcv', order_id: -1 }, 'order_id'],
    ['no order id', { action: 'dns-dcv' }, 'order_id'],
    ['an unknown method', { action: 'dns-dcv', order_id: ORDER.id, method: 'email' }, 'method'],
    ['an unknown field', { action: 'dns-dcv', order_id: ORDER.id, zone: 'Z1' }, 'zone'],
  ])(
    'throws ValidationError naming the field for %s, without calling DigiCert',
    async (_, payload, field) => {
      const { handler } = rig.start();

      const error = (await rejection(invoke(handler, payload))) as Error;

      expect(error.name).toBe('ValidationError');
      expect(JSON.parse(error.message)).toMatchObject({ errors: [expect.objectContaining({ field })] });
      expect(digicertCalls()).toBe(0);
    },
  );
});

describe('workflow task events', () => {
  it('throws ValidationError for a task the workflow does not have, calling nothing', async () => {
    const { handler } = rig.start();

    const error = (await rejection(invoke(handler, { dns_dcv_task: 'delete-zone', state: {} }))) as Error;

    expect(error.name).toBe('ValidationError');
    expect(digicertCalls()).toBe(0);
    expect(rig.route53.requests).toEqual([]);
  });

  it('cleans up twice without harm: the second cleanup changes nothing', async () => {
    const { handler, runtime, workflow } = rig.start();
    rig.hidden.add('api.example.com');
    const started = await runtime.dnsDcv.start(ORDER.id, 'dns-txt-token', { deadline: Date.now() + 10_000 });
    await workflow.close();
    const state = workflow.describe(started.execution)?.state;
    const before = rig.route53.requests.length;

    const again = await invoke(handler, {
      dns_dcv_task: 'cleanup',
      state,
      error: { Error: 'States.Timeout' },
    });

    expect(again).toEqual(state);
    expect(rig.route53.requests.slice(before).map((request) => request.operation)).not.toContain(
      'ChangeResourceRecordSets',
    );
  });
});
