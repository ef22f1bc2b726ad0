/** The DigiCert client's overall time limit per attempt, against the simulator (and one stalling server). */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { UndiciDigiCertClient } from '../../functions/digicert/client.js';
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

describe('UndiciDigiCertClient when the answer is cut short after a success status', () => {
  it('reports the order as sent, not as a failure to retry (a retry would send the emails again)', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => {
      req.resume();
      // DigiCert's 2xx, then a body that never finishes.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
      held.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const stalled = new UndiciDigiCertClient({ baseUrl: `http://127.0.0.1:${port}/services/v2` });
    try {
      const outcome = await stalled.resendEmails(64, {}, CANARY_KEY, { timeoutMs: 150 });

      expect(outcome).toEqual({ kind: 'sent', status: 200 });
    } finally {
      for (const res of held) res.destroy();
      await stalled.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
