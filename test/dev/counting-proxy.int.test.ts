/**
 * The counting proxy the bench puts in front of dynalite: it counts requests by operation, and with
 * `delayMs` holds each one that long before forwarding it (an in-region round trip).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CountingProxy, startCountingProxy } from '../../dev/counting-proxy.js';
import { LoopbackServer } from '../../dev/loopback-server.js';

let upstream: LoopbackServer | undefined;
let proxy: CountingProxy | undefined;
/** When each request reached the server behind the proxy (`performance.now()`). */
const arrivals: number[] = [];

afterEach(async () => {
  await proxy?.close();
  await upstream?.close();
  arrivals.length = 0;
});

async function start(delayMs?: number): Promise<CountingProxy> {
  upstream = await LoopbackServer.listen((_req, res) => {
    arrivals.push(performance.now());
    res.end('{}');
  });
  proxy = await startCountingProxy(upstream.origin, delayMs === undefined ? {} : { delayMs });
  return proxy;
}

/** Sends one AWS JSON-protocol request through the proxy; answers its status and when it was sent. */
async function send(endpoint: string, target: string): Promise<{ status: number; sentAt: number }> {
  const sentAt = performance.now();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' },
    body: '{}',
  });
  await response.text();
  return { status: response.status, sentAt };
}

describe('startCountingProxy', () => {
  it('counts the requests it forwards by operation', async () => {
    const started = await start();

    await send(started.endpoint, 'DynamoDB_20120810.UpdateItem');
    await send(started.endpoint, 'DynamoDB_20120810.UpdateItem');
    await send(started.endpoint, 'DynamoDB_20120810.BatchGetItem');

    expect(Object.fromEntries(started.counts)).toEqual({ UpdateItem: 2, BatchGetItem: 1 });
    expect(started.total()).toBe(3);
  });

  it('holds every request delayMs before forwarding it, and still answers it', async () => {
    const started = await start(60);

    const { status, sentAt } = await send(started.endpoint, 'DynamoDB_20120810.UpdateItem');

    expect(status).toBe(200);
    expect(arrivals).toHaveLength(1);
    // Timers may fire a millisecond early by the monotonic clock.
    expect((arrivals[0] ?? sentAt) - sentAt).toBeGreaterThanOrEqual(58);
  });
});
