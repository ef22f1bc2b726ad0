/** The DigiCert client's overall time limit per attempt, against the simulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { UndiciDigiCertClient } from '../../functions/shared/adapters/digicert-client.js';
import { CANARY_KEY } from '../support/harness.js';

let simulator: DigiCertSimulator;
let client: UndiciDigiCertClient;

beforeAll(async () => {
  simulator = await DigiCertSimulator.start({ validKeys: [CANARY_KEY] });
  client = new UndiciDigiCertClient({ baseUrl: simulator.baseUrl });
});

afterAll(async () => {
  await client.close();
  await simulator.close();
});

describe('UndiciDigiCertClient time limit', () => {
  it('reports a timeout when DigiCert sends no headers within the attempt time', async () => {
    simulator.script(61, { kind: 'slow', delayMs: 2_000 });

    const outcome = await client.resendEmails(61, {}, CANARY_KEY, { timeoutMs: 150 });

    expect(outcome.kind).toBe('timeout');
  });

  it('reports a timeout when the error body trickles in past the attempt time', async () => {
    simulator.script(62, { kind: 'slow_body', delayMs: 2_000 });

    const outcome = await client.resendEmails(62, {}, CANARY_KEY, { timeoutMs: 150 });

    expect(outcome.kind).toBe('timeout');
  });

  it('reports success when DigiCert answers within the attempt time', async () => {
    simulator.script(63, { kind: 'slow', delayMs: 20 });

    const outcome = await client.resendEmails(63, {}, CANARY_KEY, { timeoutMs: 2_000 });

    expect(outcome).toEqual({ kind: 'sent', status: 204 });
  });
});
