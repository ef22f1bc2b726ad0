/**
 * DNS DCV records in Route 53 (docs/contract.md §12), as the field's DNS-01 tools write them (lego,
 * certbot-dns-route53): the zone by `ListHostedZonesByName`, the record set by
 * `ListResourceRecordSets`, and every write as one atomic change batch that DELETEs the exact set
 * read and CREATEs the new one. Route 53 refuses the whole batch when the set changed in between
 * (`InvalidChangeBatch`), so another team's concurrent edit is never lost: the adapter reads again
 * and retries, a bounded number of times. Other values at the name (SPF, other verifications) are
 * kept; cleanup removes only the value this adapter added.
 */
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { RateLimiter } from '../../resend/ports.js';
import { ChangeRefusedError, RecordConflictError, Route53Error } from './errors.js';
import {
  baseName,
  fromRoute53Name,
  normaliseName,
  quoteTxt,
  sameTarget,
  suffixesOf,
  toRoute53Name,
  unquoteTxt,
} from './names.js';
import { type Route53Command, takesSlot } from './request-budget.js';

export type DcvRecordType = 'TXT' | 'CNAME';

/** One DCV record: our value at a name in a hosted zone. */
export interface DcvRecord {
  /** A hosted zone id, with or without `/hostedzone/`. */
  readonly zoneId: string;
  /** The record's name; a wildcard (`*.example.com`) is published at its base name. */
  readonly name: string;
  readonly type: DcvRecordType;
  /** TXT: the text (unquoted); CNAME: the target. */
  readonly value: string;
}

/** Where a name's records go, or why they cannot go anywhere we may write. */
export type ZoneMatch =
  | { readonly allowed: true; readonly zoneId: string; readonly zoneName: string }
  | {
      readonly allowed: false;
      /** `no_zones`: none configured; `no_public_zone`: no public zone here holds the name; `zone_not_allowed`: the zone that holds it is not one of the allowed ones. */
      readonly reason: 'no_zones' | 'no_public_zone' | 'zone_not_allowed';
      /** The public zone that holds the name, when it is not allowed. */
      readonly zoneId?: string;
      readonly zoneName?: string;
    };

export type ChangeStatus = 'PENDING' | 'INSYNC';

export interface Route53RecordsOptions {
  /** Tries of one change batch before {@link ChangeRefusedError}. @default 3 */
  readonly casAttempts?: number;
  /** A new record set's TTL, in seconds (an existing set keeps its own). @default 60 */
  readonly ttlSeconds?: number;
  /** `MaxItems` of each listing call. @default 100 */
  readonly pageSize?: number;
  /**
   * How long this container trusts its list of the account's public zones (`findZone`); 0 asks
   * Route 53 every time. @default 60_000
   */
  readonly zoneListMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Every request (each SDK attempt) takes a slot of it first: Route 53's 5 per second per account
   * (`request-budget.ts`). @default none (the adapter alone, in tests)
   */
  readonly limiter?: RateLimiter;
}

/** One call's bound: a request waits for its slot no longer than it leaves time to be answered by `deadline` (epoch ms). */
export interface CallOptions {
  readonly deadline?: number | undefined;
}

/** The account's public zones by name (ids), or `undefined` when there are too many to list. */
type ZoneList = ReadonlyMap<string, readonly string[]> | undefined;

/** Pages of one listing read before giving up on it (a name with hundreds of record sets). */
const MAX_PAGES = 5;

/** Every Route 53 operation this adapter needs, on one client built by `createRoute53Client`. */
export class Route53Records {
  readonly #client: Route53Client;
  readonly #casAttempts: number;
  readonly #ttl: number;
  readonly #pageSize: number;
  readonly #zoneListMs: number;
  readonly #now: () => number;
  #zoneList: { readonly until: number; readonly zones: Promise<ZoneList> } | undefined;
  readonly #limiter: RateLimiter | undefined;

  constructor(client: Route53Client, options: Route53RecordsOptions = {}) {
    this.#client = client;
    this.#casAttempts = options.casAttempts ?? 3;
    this.#ttl = options.ttlSeconds ?? 60;
    this.#pageSize = options.pageSize ?? 100;
    this.#zoneListMs = options.zoneListMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#limiter = options.limiter;
  }

  /**
   * The longest public hosted zone holding `name`, if it is one of `allowedZoneIds`. A name whose
   * closest public zone is not allowed is refused even when a parent zone is allowed: a record in
   * the parent would be hidden by the delegation to the closer zone. Private zones are ignored.
   *
   * Route 53 allows 5 requests per second per account, and asking name by name costs one
   * `ListHostedZonesByName` per label (`shop.example.com`, then `example.com`). So the container
   * lists the account's zones once (one request per 100 zones) and answers from that list for
   * `zoneListMs`; an account with more zones than `MAX_PAGES` pages is asked name by name.
   */
  async findZone(
    name: string,
    allowedZoneIds: readonly string[],
    call: CallOptions = {},
  ): Promise<ZoneMatch> {
    const allowed = new Set(allowedZoneIds.map(zoneIdOf));
    if (allowed.size === 0) return { allowed: false, reason: 'no_zones' };
    const target = baseName(normaliseName(name));
    const listed = await this.#publicZones(call);
    for (const candidate of suffixesOf(target)) {
      const zones =
        listed === undefined ? await this.#publicZonesNamed(candidate, call) : (listed.get(candidate) ?? []);
      if (zones.length === 0) continue;
      const mine = zones.find((id) => allowed.has(id));
      if (mine !== undefined) return { allowed: true, zoneId: mine, zoneName: candidate };
      return { allowed: false, reason: 'zone_not_allowed', zoneId: zones[0], zoneName: candidate };
    }
    return { allowed: false, reason: 'no_public_zone' };
  }

  /**
   * Adds our value to the record set at the name, keeping every other value and the set's TTL.
   * Returns the change id to wait on, or `undefined` when the value was already there.
   * @throws {RecordConflictError} a CNAME in the way (never overwritten)
   * @throws {ChangeRefusedError} the set kept changing under us, `casAttempts` times
   */
  async publish(record: DcvRecord, call: CallOptions = {}): Promise<string | undefined> {
    return this.#compareAndSwap(record, 'publish', call, (sets, target) =>
      planPublish(sets, target, this.#ttl),
    );
  }

  /**
   * Removes our value only: the set goes away when nothing else is left in it, else the rest
   * stays, with its TTL. Returns the change id, or `undefined` when our value was already gone.
   */
  async cleanup(record: DcvRecord, call: CallOptions = {}): Promise<string | undefined> {
    return this.#compareAndSwap(record, 'cleanup', call, planCleanup);
  }

  /** One `GetChange`: whether Route 53's servers all have the change yet. */
  async changeStatus(changeId: string, call: CallOptions = {}): Promise<ChangeStatus> {
    const out = await this.#call('GetChange', (c) =>
      c.send(this.#slot(new GetChangeCommand({ Id: changeId }), call)),
    );
    return out.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
  }

  /**
   * Polls {@link changeStatus} until `INSYNC` or `deadline` (epoch ms) passes, and answers the
   * last status seen. For local runs and the CLI; the deployed workflow waits with Step Functions.
   */
  async waitInSync(
    changeId: string,
    { deadline, pollMs = 4_000 }: { readonly deadline: number; readonly pollMs?: number },
  ): Promise<ChangeStatus> {
    for (;;) {
      const status = await this.changeStatus(changeId, { deadline });
      const left = deadline - Date.now();
      if (status === 'INSYNC' || left <= 0) return status;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
    }
  }

  async #compareAndSwap(
    record: DcvRecord,
    action: 'publish' | 'cleanup',
    call: CallOptions,
    plan: (sets: readonly ResourceRecordSet[], target: Target) => Change[],
  ): Promise<string | undefined> {
    const target: Target = {
      zoneId: zoneIdOf(record.zoneId),
      name: baseName(normaliseName(record.name)),
      type: record.type,
      value: record.value,
    };
    let refusal: unknown;
    for (let attempt = 1; attempt <= this.#casAttempts; attempt += 1) {
      const changes = plan(await this.#setsAt(target.zoneId, target.name, call), target);
      if (changes.length === 0) return undefined;
      try {
        const out = await this.#client.send(
          this.#slot(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: target.zoneId,
              ChangeBatch: { Comment: `dcv-resend DNS DCV ${action}`, Changes: changes },
            }),
            call,
          ),
        );
        return (out.ChangeInfo?.Id ?? '').replace(/^\/change\//, '');
      } catch (error) {
        if (!isInvalidChangeBatch(error)) throw route53Error('ChangeResourceRecordSets', error);
        refusal = error;
      }
    }
    throw new ChangeRefusedError(
      `Route 53 refused to ${action} the ${target.type} record at ${target.name} ${this.#casAttempts} times ` +
        `(the record set kept changing, or the change is invalid): ${messageOf(refusal)}`,
      this.#casAttempts,
      { cause: refusal },
    );
  }

  /** Every public zone of the account, by name: listed once per `zoneListMs`; a failed listing is not kept. */
  #publicZones(call: CallOptions): Promise<ZoneList> {
    const at = this.#now();
    if (this.#zoneListMs > 0 && this.#zoneList !== undefined && at < this.#zoneList.until) {
      return this.#zoneList.zones;
    }
    const zones = this.#listPublicZones(call);
    const entry = { until: at + this.#zoneListMs, zones };
    this.#zoneList = entry;
    zones.catch(() => {
      if (this.#zoneList === entry) this.#zoneList = undefined;
    });
    return zones;
  }

  async #listPublicZones(call: CallOptions): Promise<ZoneList> {
    const byName = new Map<string, string[]>();
    let start: { DNSName?: string; HostedZoneId?: string } = {};
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const out = await this.#call('ListHostedZonesByName', (c) =>
        c.send(this.#slot(new ListHostedZonesByNameCommand({ ...start, MaxItems: this.#pageSize }), call)),
      );
      for (const zone of out.HostedZones ?? []) {
        if (zone.Config?.PrivateZone === true || zone.Id === undefined) continue;
        const zoneName = fromRoute53Name(zone.Name ?? '');
        byName.set(zoneName, [...(byName.get(zoneName) ?? []), zoneIdOf(zone.Id)]);
      }
      if (out.IsTruncated !== true || out.NextDNSName === undefined) return byName;
      start = {
        DNSName: out.NextDNSName,
        ...(out.NextHostedZoneId ? { HostedZoneId: out.NextHostedZoneId } : {}),
      };
    }
    return undefined;
  }

  /** The ids of the public zones named exactly `zoneName`. */
  async #publicZonesNamed(zoneName: string, call: CallOptions): Promise<string[]> {
    const ids: string[] = [];
    let start: { DNSName: string; HostedZoneId?: string } = { DNSName: zoneName };
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const out = await this.#call('ListHostedZonesByName', (c) =>
        c.send(this.#slot(new ListHostedZonesByNameCommand({ ...start, MaxItems: this.#pageSize }), call)),
      );
      // Route 53 lists from `DNSName` on in name order; some emulators list only that name. Either
      // way, only exact names count, and a next page matters only while it can still hold them.
      const named = (out.HostedZones ?? []).filter((zone) => fromRoute53Name(zone.Name ?? '') === zoneName);
      for (const zone of named) {
        if (zone.Config?.PrivateZone !== true && zone.Id !== undefined) ids.push(zoneIdOf(zone.Id));
      }
      const next = out.IsTruncated === true ? out.NextDNSName : undefined;
      if (next === undefined || fromRoute53Name(next) !== zoneName) return ids;
      start = {
        DNSName: next,
        ...(out.NextHostedZoneId ? { HostedZoneId: out.NextHostedZoneId } : {}),
      };
    }
    return ids;
  }

  /** Every record set at exactly `name` in the zone, of any type. */
  async #setsAt(zoneId: string, name: string, call: CallOptions): Promise<ResourceRecordSet[]> {
    const sets: ResourceRecordSet[] = [];
    let start: {
      StartRecordName: string;
      StartRecordType?: ResourceRecordSet['Type'];
      StartRecordIdentifier?: string;
    } = { StartRecordName: toRoute53Name(name) };
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const out = await this.#call('ListResourceRecordSets', (c) =>
        c.send(
          this.#slot(
            new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start, MaxItems: this.#pageSize }),
            call,
          ),
        ),
      );
      sets.push(...(out.ResourceRecordSets ?? []).filter((set) => fromRoute53Name(set.Name ?? '') === name));
      const next = out.IsTruncated === true ? out.NextRecordName : undefined;
      if (next === undefined || fromRoute53Name(next) !== name) return sets;
      start = {
        StartRecordName: next,
        ...(out.NextRecordType ? { StartRecordType: out.NextRecordType } : {}),
        ...(out.NextRecordIdentifier ? { StartRecordIdentifier: out.NextRecordIdentifier } : {}),
      };
    }
    return sets;
  }

  /** `command`, each of whose attempts first takes a slot of the limiter (when there is one). */
  #slot<C extends Route53Command>(command: C, call: CallOptions): C {
    return this.#limiter === undefined ? command : takesSlot(command, this.#limiter, call.deadline);
  }

  async #call<T>(operation: string, send: (client: Route53Client) => Promise<T>): Promise<T> {
    try {
      return await send(this.#client);
    } catch (error) {
      throw route53Error(operation, error);
    }
  }
}

interface Target {
  readonly zoneId: string;
  readonly name: string;
  readonly type: DcvRecordType;
  readonly value: string;
}

function planPublish(sets: readonly ResourceRecordSet[], target: Target, ttl: number): Change[] {
  const current = simpleSet(sets, target);
  if (target.type === 'CNAME') {
    const others = sets.filter((set) => set.Type !== 'CNAME');
    if (others.length > 0) {
      throw new RecordConflictError(
        `${target.name} already has ${others.map((set) => set.Type).join(', ')} records: a CNAME cannot be added there`,
      );
    }
    const existing = current?.ResourceRecords?.[0]?.Value;
    if (existing !== undefined && sameTarget(existing, target.value)) return [];
    if (current !== undefined) {
      throw new RecordConflictError(
        `${target.name} already has a CNAME to ${existing ?? 'an alias'}: it is not replaced`,
      );
    }
    return [create(target, ttl, [target.value])];
  }
  if (sets.some((set) => set.Type === 'CNAME')) {
    throw new RecordConflictError(`${target.name} is a CNAME: a TXT record cannot be added there`);
  }
  const values = (current?.ResourceRecords ?? []).map((record) => record.Value ?? '');
  if (values.some((value) => unquoteTxt(value) === target.value)) return [];
  const added = [...values, quoteTxt(target.value)];
  if (current === undefined) return [create(target, ttl, added)];
  return [{ Action: 'DELETE', ResourceRecordSet: current }, create(target, current.TTL ?? ttl, added)];
}

function planCleanup(sets: readonly ResourceRecordSet[], target: Target): Change[] {
  const current = sets.find((set) => set.Type === target.type && set.SetIdentifier === undefined);
  if (current === undefined) return [];
  const values = (current.ResourceRecords ?? []).map((record) => record.Value ?? '');
  const ours = (value: string) =>
    target.type === 'TXT' ? unquoteTxt(value) === target.value : sameTarget(value, target.value);
  const rest = values.filter((value) => !ours(value));
  if (rest.length === values.length) return [];
  const remove: Change = { Action: 'DELETE', ResourceRecordSet: current };
  return rest.length === 0 ? [remove] : [remove, create(target, current.TTL ?? 60, rest)];
}

/** The simple-routing set of the target's type at the name; a set with a routing policy is not ours to touch. */
function simpleSet(sets: readonly ResourceRecordSet[], target: Target): ResourceRecordSet | undefined {
  const ofType = sets.filter((set) => set.Type === target.type);
  if (ofType.some((set) => set.SetIdentifier !== undefined || set.AliasTarget !== undefined)) {
    throw new RecordConflictError(
      `${target.name} has ${target.type} records with a routing policy or an alias: they are not changed`,
    );
  }
  return ofType[0];
}

function create(target: Target, ttl: number, values: readonly string[]): Change {
  return {
    Action: 'CREATE',
    ResourceRecordSet: {
      Name: toRoute53Name(target.name),
      Type: target.type,
      TTL: ttl,
      ResourceRecords: values.map((Value) => ({ Value })),
    },
  };
}

/** `Z123`, `/hostedzone/Z123` → `Z123`. */
function zoneIdOf(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

function isInvalidChangeBatch(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidChangeBatch';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function route53Error(operation: string, error: unknown): Route53Error {
  const code = error instanceof Error ? error.name : 'Unknown';
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  const retryable =
    meta.$retryable !== undefined ||
    status === undefined ||
    status >= 500 ||
    /Throttl|PriorRequestNotComplete|Timeout|ECONNRE/i.test(code);
  return new Route53Error(operation, code, retryable, { cause: error });
}
