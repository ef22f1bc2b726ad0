/**
 * The synthesized DNS-DCV definition, executed by aws-local-stepfunctions (Node.js >= 22: CI's
 * Node 24 pass; skipped with a message on Node 20), its tasks bound to a small fake that follows
 * the workflow contract. `runDnsDcvWorkflow` binds the real handler the same way.
 */
import { describe, expect, it } from 'vitest';
import {
  canRunLocalStepFunctions,
  type DnsDcvWorkflowRun,
  runDnsDcvWorkflow,
  SKIPPED_ON_OLD_NODE,
} from '../support/dns-dcv-workflow.js';

interface FakeState {
  order_id: number;
  changes: string[];
  in_sync: boolean;
  sync_polls: number;
  checks: number;
  validated: boolean;
  expired: boolean;
  gave_up: boolean;
  next_check_seconds: number;
  last_codes: string[];
  error?: { Error: string; Cause: unknown };
  [field: string]: unknown;
}

interface TaskPayload {
  dns_dcv_task: 'publish' | 'change-status' | 'check' | 'cleanup';
  state: FakeState;
  /** Only on the cleanup after a failure: the caught error, or `{}` when nothing failed (it gave up). */
  error?: { Error?: string; Cause?: unknown };
}

const INITIAL: FakeState = {
  order_id: 123,
  method: 'dns-txt-token',
  random_value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
  expires_at: '2027-01-06T00:00:00Z',
  records: [
    {
      name: 'example.com',
      type: 'TXT',
      value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
      hosted_zone_id: 'Z1',
      published: true,
    },
  ],
  started_at: '2026-12-07T10:00:00Z',
  changes: [],
  in_sync: false,
  sync_polls: 0,
  checks: 0,
  validated: false,
  expired: false,
  gave_up: false,
  next_check_seconds: 60,
  last_codes: [],
};

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface FakeOptions {
  /** The check that answers `valid` (1-based). @default 2 */
  readonly validAtCheck?: number;
  /** The check whose answer sets `expired`. */
  readonly expiresAtCheck?: number;
  /** The task that throws, and what. */
  readonly throwIn?: {
    readonly task: TaskPayload['dns_dcv_task'];
    readonly error: Error;
    readonly times?: number;
  };
}

/** The function's side of the contract, in a few lines: publish, in sync at the second poll, then check. */
function fakeFunction(options: FakeOptions = {}) {
  let throwsLeft = options.throwIn?.times ?? Number.POSITIVE_INFINITY;
  return (payload: unknown): FakeState => {
    const { dns_dcv_task: task, state } = payload as TaskPayload;
    if (options.throwIn?.task === task && throwsLeft > 0) {
      throwsLeft -= 1;
      throw options.throwIn.error;
    }
    switch (task) {
      case 'publish':
        return { ...state, changes: ['C0123'], in_sync: false };
      case 'change-status': {
        const polls = state.sync_polls + 1;
        return { ...state, sync_polls: polls, in_sync: polls >= 2 };
      }
      case 'check': {
        const checks = state.checks + 1;
        const validated = checks >= (options.validAtCheck ?? 2);
        const expired = checks === options.expiresAtCheck;
        return {
          ...state,
          checks,
          validated,
          expired,
          gave_up: expired,
          next_check_seconds: 60,
          last_codes: validated ? [] : ['invalid_dns_txt'],
        };
      }
      case 'cleanup':
        return state;
    }
  };
}

/** The payload of the run's last task invocation. */
function lastPayload(run: DnsDcvWorkflowRun): TaskPayload {
  const last = run.tasks.at(-1);
  if (!last) throw new Error('no task ran');
  return last.payload as TaskPayload;
}

const tasksOf = (run: DnsDcvWorkflowRun) =>
  run.tasks.map((t) => `${t.state}:${(t.payload as TaskPayload).dns_dcv_task}`);

describe('the synthesized DNS-DCV workflow, run by aws-local-stepfunctions', () => {
  it.skipIf(!canRunLocalStepFunctions)(
    'publishes, waits until in sync, checks until validated, cleans up and succeeds',
    async () => {
      const run = await runDnsDcvWorkflow(fakeFunction(), INITIAL);

      expect(run.status).toBe('SUCCEEDED');
      expect(run.states).toEqual([
        'Publish',
        'WaitForSync',
        'ChangeStatus',
        'InSync',
        'WaitForSync',
        'ChangeStatus',
        'InSync',
        'Check',
        'CheckOutcome',
        'WaitBeforeCheck',
        'Check',
        'CheckOutcome',
        'Cleanup',
        'Validated',
      ]);
      expect(tasksOf(run)).toEqual([
        'Publish:publish',
        'ChangeStatus:change-status',
        'ChangeStatus:change-status',
        'Check:check',
        'Check:check',
        'Cleanup:cleanup',
      ]);
      expect(run.output).toMatchObject({ order_id: 123, validated: true, checks: 2 });
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'hands each task the state the previous task returned, under "state"',
    async () => {
      const run = await runDnsDcvWorkflow(fakeFunction({ validAtCheck: 1 }), INITIAL);

      const cleanup = lastPayload(run);
      expect(Object.keys(cleanup).sort()).toEqual(['dns_dcv_task', 'state']);
      expect(cleanup.state).toMatchObject({ changes: ['C0123'], in_sync: true, sync_polls: 2, checks: 1 });
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'cleans up after DigiCert refuses, handing the cleanup the error, and fails as DnsDcvNotValidated',
    async () => {
      const refused = namedError('DigiCertRequestError', 'DigiCert refused the check (403)');

      const run = await runDnsDcvWorkflow(
        fakeFunction({ throwIn: { task: 'check', error: refused } }),
        INITIAL,
      );

      expect(run.status).toBe('FAILED');
      expect(run.error?.Error).toBe('DnsDcvNotValidated');
      expect(run.retried).toEqual([]);
      expect(run.caught).toEqual(['Check']);
      expect(run.states.slice(-3)).toEqual(['Check', 'CleanupAfterFailure', 'NotValidated']);
      expect(run.tasks.at(-1)?.state).toBe('CleanupAfterFailure');
      expect(Object.keys(lastPayload(run)).sort()).toEqual(['dns_dcv_task', 'error', 'state']);
      expect(lastPayload(run).dns_dcv_task).toBe('cleanup');
      expect(lastPayload(run).error).toMatchObject({ Error: 'DigiCertRequestError' });
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'cleans up when publishing itself fails, before anything was checked',
    async () => {
      const conflict = namedError('DnsRecordConflict', 'a CNAME is at example.com');

      const run = await runDnsDcvWorkflow(
        fakeFunction({ throwIn: { task: 'publish', error: conflict } }),
        INITIAL,
      );

      expect(run.status).toBe('FAILED');
      expect(run.states).toEqual(['Publish', 'CleanupAfterFailure', 'NotValidated']);
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'retries an UpstreamError with backoff and carries on when the next attempt succeeds',
    async () => {
      const unavailable = namedError('UpstreamError', 'DigiCert unavailable');

      const run = await runDnsDcvWorkflow(
        fakeFunction({ throwIn: { task: 'check', error: unavailable, times: 2 } }),
        INITIAL,
      );

      expect(run.status).toBe('SUCCEEDED');
      expect(run.retried).toEqual(['Check', 'Check']);
      expect(run.caught).toEqual([]);
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'gives up after five retries of an UpstreamError, then cleans up and fails',
    async () => {
      const unavailable = namedError('UpstreamError', 'Route 53 throttled');

      const run = await runDnsDcvWorkflow(
        fakeFunction({ throwIn: { task: 'change-status', error: unavailable } }),
        INITIAL,
      );

      expect(run.status).toBe('FAILED');
      expect(run.retried).toHaveLength(5);
      expect(run.states.slice(-2)).toEqual(['CleanupAfterFailure', 'NotValidated']);
      expect(lastPayload(run).error?.Error).toBe('UpstreamError');
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'cleans up with an empty error when the random value expires, and fails as DnsDcvNotValidated',
    async () => {
      const run = await runDnsDcvWorkflow(fakeFunction({ validAtCheck: 99, expiresAtCheck: 3 }), INITIAL);

      expect(run.status).toBe('FAILED');
      expect(run.error?.Error).toBe('DnsDcvNotValidated');
      expect(run.caught).toEqual([]);
      expect(tasksOf(run).slice(-4)).toEqual([
        'Check:check',
        'Check:check',
        'Check:check',
        'CleanupAfterFailure:cleanup',
      ]);
      expect(run.states.slice(-4)).toEqual(['CheckOutcome', 'GiveUp', 'CleanupAfterFailure', 'NotValidated']);
      expect(lastPayload(run).error).toEqual({});
    },
  );

  it.skipIf(!canRunLocalStepFunctions)(
    'fails the execution when even the cleanup after a failure keeps failing',
    async () => {
      let calls = 0;
      const handler = (payload: unknown) => {
        calls += 1;
        if ((payload as TaskPayload).dns_dcv_task === 'cleanup') throw namedError('UpstreamError', 'down');
        throw namedError('DigiCertRequestError', 'refused');
      };

      const run = await runDnsDcvWorkflow(handler, INITIAL);

      expect(run.status).toBe('FAILED');
      expect(run.error?.Error).toBe('UpstreamError');
      expect(calls).toBe(1 + 6);
    },
  );

  it.skipIf(canRunLocalStepFunctions)('is skipped on this Node.js version', () => {
    // Says why in the test output; the tests above run on Node >= 22 (CI's Node 24 pass).
    expect(SKIPPED_ON_OLD_NODE).toMatch(/needs Node\.js >= 22/);
  });
});
