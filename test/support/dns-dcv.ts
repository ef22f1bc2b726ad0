/**
 * DNS DCV end to end for tests: the harness (simulator, Secrets Manager stand-in), a Route 53
 * stand-in with an allowed zone (`example.com`, with SPF) and a zone that is not allowed
 * (`other.net`), a dns2 server answering from the stand-in (what the simulator's `check-dcv`
 * resolves), and the in-process workflow runner bound to the real handler, with short waits.
 */
import { LocalDnsServer } from '../../dev/dns-server.js';
import { LocalWorkflow, type LocalWorkflowOptions, taskContext } from '../../dev/local-workflow.js';
import { pointRoute53At, Route53StandIn } from '../../dev/route53-standin.js';
import type { Runtime, RuntimeOverrides } from '../../functions/app/runtime.js';
import { unquoteTxt } from '../../functions/aws/route53/names.js';
import { createHandler, type Handler } from '../../functions/resend-dcv-emails/handler.js';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';

export const ALLOWED_ZONE = { id: 'Z0000000000EXMP', name: 'example.com' } as const;
export const OTHER_ZONE = { id: 'Z0000000000OTHR', name: 'other.net' } as const;
export const SPF = '"v=spf1 include:_spf.example.com -all"';

/** Waits of a few milliseconds: a minute of the state machine is 2 ms here. */
export const FAST_WAITS: LocalWorkflowOptions = {
  waits: { syncMs: 5, checkMsPerSecond: 2, retryMs: 5 },
  maxTasks: 200,
};

export interface DnsDcvRig {
  readonly h: Harness;
  readonly route53: Route53StandIn;
  readonly dns: LocalDnsServer;
  /** Names the DNS server does not answer (DigiCert cannot see them yet). */
  readonly hidden: Set<string>;
  /** TXT values (unquoted) of each name the DNS server served, in order. */
  readonly served: Map<string, string[][]>;
  /** A runtime on `DNS_DCV_HOSTED_ZONE_IDS` = the allowed zone, its workflow bound to its handler. */
  start(
    extraEnv?: Record<string, string>,
    overrides?: RuntimeOverrides & {
      readonly invoke?: (handler: Handler, event: unknown) => Promise<unknown>;
    },
  ): { runtime: Runtime; handler: Handler; workflow: LocalWorkflow };
  reset(): void;
  close(): Promise<void>;
}

export async function startDnsDcvRig(options: HarnessOptions = {}): Promise<DnsDcvRig> {
  const hidden = new Set<string>();
  const served = new Map<string, string[][]>();
  const route53 = await Route53StandIn.start({ inSyncAfter: { polls: 1, ms: 0 } });
  const zones = () => {
    route53.addZone({
      ...ALLOWED_ZONE,
      records: [{ name: ALLOWED_ZONE.name, type: 'TXT', ttl: 300, values: [SPF] }],
    });
    route53.addZone({ ...OTHER_ZONE });
  };
  zones();
  const dns = await LocalDnsServer.start({
    records: (name) => {
      if (hidden.has(name)) return undefined;
      const txt = route53.lookup(name, 'TXT');
      const cname = route53.lookup(name, 'CNAME');
      if (txt === undefined && cname === undefined) return undefined;
      const values = (txt?.values ?? []).map(unquoteTxt);
      served.set(name, [...(served.get(name) ?? []), values]);
      return {
        ...(txt === undefined ? {} : { txt: values.map((value) => [value]) }),
        ...(cname?.values[0] === undefined ? {} : { cname: cname.values[0] }),
      };
    },
  });
  const h = await startHarness({
    ...options,
    simulator: { dnsServers: [dns.address], dnsTimeoutMs: 500, ...options.simulator },
  });
  pointRoute53At(route53.endpoint);
  const workflows: LocalWorkflow[] = [];
  return {
    h,
    route53,
    dns,
    hidden,
    served,
    start(extraEnv = {}, overrides = {}) {
      const { invoke, ...rest } = overrides;
      const workflow = new LocalWorkflow(FAST_WAITS);
      workflows.push(workflow);
      const runtime = h.runtime(
        { DNS_DCV_HOSTED_ZONE_IDS: ALLOWED_ZONE.id, ...extraEnv },
        { workflow, ...rest },
      );
      const handler = createHandler(() => runtime);
      workflow.bind((event) => (invoke ? invoke(handler, event) : handler(event, taskContext())));
      return { runtime, handler, workflow };
    },
    reset() {
      h.reset();
      hidden.clear();
      served.clear();
      route53.beforeChange(undefined);
      route53.requests.length = 0;
      zones();
    },
    async close() {
      await Promise.all(workflows.map((workflow) => workflow.close()));
      await Promise.all([h.close(), route53.close(), dns.close()]);
    },
  };
}

/** Waits until `condition` holds, polling every 5 ms, at most `ms`. */
export async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
