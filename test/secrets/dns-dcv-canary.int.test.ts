/**
 * The API key never appears in what DNS DCV answers, throws, logs or passes from task to task:
 * the HTTP route, the direct action and the workflow (its states, its failure's error and cause),
 * whatever DigiCert answers, including a DigiCert (or a proxy) that echoes the key back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Behaviour, SimulatedOrder } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import { type DnsDcvRig, startDnsDcvRig } from '../support/dns-dcv.js';
import { CANARY_KEY } from '../support/harness.js';

let rig: DnsDcvRig;

beforeAll(async () => {
  rig = await startDnsDcvRig({ secretValue: JSON.stringify({ api_key: CANARY_KEY }) });
});
afterAll(async () => {
  await rig.close();
});

const order = (id: number): SimulatedOrder => ({
  id,
  status: 'pending',
  dnsNames: [`c${id}.example.com`],
  dcvMethod: 'email',
  createdAt: Date.now() - 86_400_000,
});

const BEHAVIOURS: readonly Behaviour[] = [
  { kind: 'sent' },
  { kind: 'forbidden' },
  { kind: 'unauthorized' },
  { kind: 'server_error' },
  { kind: 'echo_key' },
  { kind: 'echo_key', status: 403 },
];

describe('the canary key in DNS DCV', () => {
  it('appears in no response, error, log line, workflow state or stdout/stderr write', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const outputs: string[] = [];
    const record = (value: unknown) =>
      outputs.push(
        value instanceof Error
          ? JSON.stringify({ ...value, name: value.name, message: value.message, stack: value.stack })
          : String(JSON.stringify(value)),
      );
    const { handler, workflow } = rig.start({ LOG_LEVEL: 'debug' });
    for (const [index, behaviour] of BEHAVIOURS.entries()) {
      const id = 8400 + index;
      rig.h.simulator.addOrders([order(id)]);
      rig.h.simulator.scriptDcv(id, 'dcv-method', behaviour);
      // DigiCert's check echoes the key: the workflow fails through its cleanup.
      rig.h.simulator.scriptDcv(id, 'check-dcv', { kind: 'echo_key' });
      const path = `/order/certificate/${id}/dcv/dns`;
      record(await handler(httpV2Event({ method: 'POST', orderId: String(id), path }), fakeContext()));
      record(
        await handler({ action: 'dns-dcv', order_id: id }, fakeContext()).catch((error: unknown) => error),
      );
    }
    for (const execution of workflow.executions()) record(await workflow.wait(execution.executionArn));
    for (const call of [...stdout.mock.calls, ...stderr.mock.calls]) outputs.push(String(call[0]));
    stdout.mockRestore();
    stderr.mockRestore();
    outputs.push(...rig.h.logs);

    expect(rig.h.simulator.requests.every((request) => request.headers['x-dc-devkey'] === CANARY_KEY)).toBe(
      true,
    );
    expect(workflow.executions().filter((execution) => execution.status === 'FAILED').length).toBeGreaterThan(
      0,
    );
    expect(outputs.some((line) => line.includes('[REDACTED]'))).toBe(true);
    expect(outputs.filter((line) => line.includes(CANARY_KEY))).toEqual([]);
  });
});
