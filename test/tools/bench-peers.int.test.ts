/**
 * The comparison functions of the bench's `peers` row (`tools/bench/peers/`), bundled as the bench
 * bundles them and run as the bench runs them (a fresh `node` importing the bundle: one cold
 * container) against the DigiCert simulator and the Secrets Manager stand-in. A peer that did less
 * than ours, or failed, would flatter ours in the comparison.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../dev/digicert-simulator.js';
import { httpV2Event } from '../../dev/lambda-events.js';
import { buildPeer, PEERS, type PeerName } from '../../tools/bench/build.js';
import { childEnv, runNode } from '../../tools/bench/child.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const body = JSON.stringify({
  domain_approval_emails: [{ domain: 'www.example.com', email: 'admin@example.com' }],
  locale: 'en',
});
/** What each container is sent, in order: three good requests, then a locale that breaks §1. */
const events = [
  httpV2Event({ orderId: '4242', body }),
  httpV2Event({ orderId: '4242', body }),
  httpV2Event({ orderId: '4242', body }),
  httpV2Event({ orderId: '4242', body: JSON.stringify({ locale: 'english' }) }),
];

interface Container {
  readonly answers: readonly { statusCode: number; body?: string }[];
  readonly secretReads: number;
  readonly requests: readonly RecordedRequest[];
}

let h: Harness;
let out: string;
const containers = new Map<PeerName, Container>();

/** One cold container: a fresh `node` imports the bundle and answers `events` one after another. */
async function runContainer(bundle: string): Promise<Container> {
  h.reset();
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then(async (m) => {
    const answers = [];
    for (const event of ${JSON.stringify(events)}) answers.push(await m.handler(event, { awsRequestId: 'peer-test' }));
    require('node:fs').writeSync(3, JSON.stringify(answers));
    process.exit(0);
  }, (e) => { console.error(e); process.exit(1); })`;
  const run = await runNode(
    ['-e', script],
    childEnv({ ...h.env, AWS_ENDPOINT_URL_SECRETS_MANAGER: h.secrets.endpoint }),
  );
  return {
    answers: JSON.parse(run.output) as Container['answers'],
    secretReads: h.secrets.calls.length,
    requests: [...h.simulator.requests],
  };
}

beforeAll(async () => {
  h = await startHarness();
  out = await mkdtemp(join(tmpdir(), 'dcv-peers-'));
  for (const name of PEERS) {
    const { bundle } = await buildPeer(ROOT, out, name);
    containers.set(name, await runContainer(bundle));
  }
}, 60_000);
afterAll(async () => {
  await h.close();
  await rm(out, { recursive: true, force: true });
});

function containerOf(name: PeerName): Container {
  const container = containers.get(name);
  if (!container) throw new Error(`peer ${name} did not run`);
  return container;
}

describe.each(PEERS)('the %s peer, bundled and run as the bench runs it', (name) => {
  it('answers 204 to each valid request, after sending DigiCert the PUT with the key from Secrets Manager', () => {
    const { answers, requests } = containerOf(name);

    expect(answers.slice(0, 3).map((a) => a.statusCode)).toEqual([204, 204, 204]);
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request.method).toBe('PUT');
      expect(request.orderId).toBe(4242);
      expect(request.headers['x-dc-devkey']).toBe(CANARY_KEY);
      expect(request.body).toEqual(JSON.parse(body));
    }
  });

  it('reads the secret once per container, however many invocations follow', () => {
    expect(containerOf(name).secretReads).toBe(1);
  });

  it('answers 400 naming the field when the body breaks a rule, and sends nothing for it', () => {
    const { answers, requests } = containerOf(name);

    expect(answers[3]?.statusCode).toBe(400);
    expect(JSON.parse(answers[3]?.body ?? '')).toMatchObject({
      errors: [{ code: 'invalid_input', field: 'locale' }],
    });
    expect(requests).toHaveLength(3);
  });
});
