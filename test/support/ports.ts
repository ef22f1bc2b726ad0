/** Loopback ports for fault tests. */
import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 with nothing listening (a connection to it is refused): bound once by the OS
 * to pick a free one, then closed.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
