/**
 * The hosts databases of a configuration (`hosts-database`, then each of `hosts-databases`),
 * opened at start-up and at each reconfiguration, as one source the packet path asks once per
 * query: every database asked at once, a reservation of an earlier database taking precedence
 * over a later one's (Kea asks its alternate sources in configuration order).
 */
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import type { Logger } from "../../log/logger.ts";
import type { HostsDatabase } from "../config/types.ts";
import { DbReconnectControl, parseDbAccess, type DbReconnectActions } from "../db/db-access.ts";
import type { HostIdentifier, HostSource } from "../model/host.ts";
import { isConnectionLoss, openPgsqlHostSource } from "./pgsql-host-source.ts";

/** What the hosts databases' stores have in common (HostStore4, HostStore6). */
interface AddableStore<H> {
  add(host: H): void;
  all(): IterableIterator<H>;
}

/** The hosts databases of a configuration, in the order Kea asks them. */
export function hostsDatabases(config: {
  "hosts-database"?: HostsDatabase;
  "hosts-databases"?: HostsDatabase[];
}): HostsDatabase[] {
  const one = config["hosts-database"];
  return [...(one === undefined ? [] : [one]), ...(config["hosts-databases"] ?? [])];
}

/** What the server does when a hosts database is lost (Kea's on-fail), and where it logs. */
export interface HostsDbPolicy extends Omit<DbReconnectActions, "reconnect"> {
  logger?: Logger;
}

/**
 * One database with Kea's reconnect policy: a lookup that finds the connection gone fails (the
 * query is dropped and counted) and starts the policy (max-reconnect-tries attempts
 * reconnect-wait-time ms apart, on-fail: service off while retrying, exit when given up).
 */
class GuardedHostSource<S> implements HostSource<S> {
  readonly label: string;
  private readonly inner: HostSource<S>;
  private readonly control: DbReconnectControl;

  constructor(inner: HostSource<S>, control: DbReconnectControl) {
    this.inner = inner;
    this.control = control;
    this.label = inner.label;
  }

  fetch(ids: readonly HostIdentifier[], subnetId: number | undefined): Promise<S> {
    return this.inner.fetch(ids, subnetId).catch((err: unknown) => {
      if (isConnectionLoss(err)) this.control.lost();
      throw err;
    });
  }

  close(): Promise<void> {
    this.control.stop();
    return this.inner.close();
  }
}

/** Several databases as one source: asked at once, the earlier one's reservation first. */
class ChainedHostSource<H, S extends AddableStore<H>> implements HostSource<S> {
  readonly label: string;
  private readonly sources: readonly HostSource<S>[];
  private readonly makeStore: () => S;

  constructor(sources: readonly HostSource<S>[], makeStore: () => S) {
    this.sources = sources;
    this.makeStore = makeStore;
    this.label = sources.map((s) => s.label).join(", ");
  }

  async fetch(ids: readonly HostIdentifier[], subnetId: number | undefined): Promise<S> {
    const stores = await Promise.all(this.sources.map((s) => s.fetch(ids, subnetId)));
    const out = this.makeStore();
    // A store keeps the last host added of a key: the first database's added last.
    for (let i = stores.length - 1; i >= 0; i--) for (const h of stores[i]!.all()) out.add(h);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }
}

/**
 * Opens the configuration's hosts databases (null without any); one that cannot be opened (not
 * reachable, not Kea 2.2's schema) closes those already open and throws, naming its key.
 */
export async function openHostSources<H, S extends AddableStore<H>>(
  family: 4 | 6,
  config: { "hosts-database"?: HostsDatabase; "hosts-databases"?: HostsDatabase[] },
  defs: OptionDefLookup,
  makeStore: () => S,
  policy: HostsDbPolicy,
): Promise<HostSource<S> | null> {
  const list = hostsDatabases(config);
  if (list.length === 0) return null;
  const opened: HostSource<S>[] = [];
  const top = family === 4 ? "Dhcp4" : "Dhcp6";
  for (let i = 0; i < list.length; i++) {
    const key =
      config["hosts-database"] !== undefined
        ? i === 0
          ? "hosts-database"
          : `hosts-databases[${i - 1}]`
        : `hosts-databases[${i}]`;
    try {
      const access = parseDbAccess(list[i]! as unknown as Record<string, unknown>, `${top}.${key}`);
      const { source, ping } = await openPgsqlHostSource(family, access, defs);
      const { logger, ...actions } = policy;
      const control = new DbReconnectControl(
        access,
        family,
        { ...actions, reconnect: ping },
        logger,
        "HOST",
      );
      opened.push(new GuardedHostSource(source as unknown as HostSource<S>, control));
    } catch (e) {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`${top}.${key}: cannot open the hosts database: ${why}`, { cause: e });
    }
  }
  return opened.length === 1 ? opened[0]! : new ChainedHostSource<H, S>(opened, makeStore);
}
