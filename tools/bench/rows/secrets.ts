/** Row 4, Secrets Manager calls for 50 concurrent cold + 1,000 warm invocations in one process. */
import type { SecretsManagerStandIn } from '../../../dev/secrets-manager-standin.js';
import { runNode } from '../child.js';
import { type BenchRow, type Row, TARGETS } from '../row.js';

export const secretsRow: BenchRow = {
  id: 'secrets',
  label: 'Secrets Manager calls',
  run: async ({ probe, bundle, env, secrets }) => [await secretsCalls(probe, bundle, env, secrets)],
};

async function secretsCalls(
  probe: string,
  bundle: string,
  env: Record<string, string>,
  secrets: SecretsManagerStandIn,
): Promise<Row> {
  secrets.reset();
  await runNode([probe, bundle, 'secrets'], env);
  const calls = secrets.calls.length;
  return {
    id: 'secrets-manager-calls',
    figure: 'Secrets Manager calls: 50 concurrent cold + 1,000 warm',
    value: calls,
    display: String(calls),
    target: `= ${TARGETS.secretsManagerCalls}`,
    verdict: calls === TARGETS.secretsManagerCalls ? 'PASS' : 'MISS',
    detail: 'one process, the built bundle, the real SDK against the stand-in',
  };
}
