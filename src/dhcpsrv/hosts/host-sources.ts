/**
 * The hosts databases of a configuration (`hosts-database`, then each of `hosts-databases`),
 * opened at start-up and at each reconfiguration, as one source the packet path asks once per
 * query: every database asked at once, a reservation of an earlier database taking precedence
 * over a later one's (Kea asks its alternate sources in configuration order).
 */
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import type { HostsDatabase } from "../config/types.ts";
import type { HostIdentifier, HostSource } from "../model/host.ts";
import { openPgsqlHostSource, type HostsDbAccess } from "./pgsql-host-source.ts";

/** What the hosts databases' stores have in common (HostStore4, HostStore6). */
interface AddableStore<H> {
  add(host: H): void;
  all(): IterableIterator<H>;
}

/** Kea's defaults for the connection keys. */
export function hostsDbAccess(db: HostsDatabase): HostsDbAccess {
  const access: HostsDbAccess = {
    name: db.name,
    host: db.host === undefined || db.host === "" ? "localhost" : db.host,
    port: db.port === undefined || db.port === 0 ? 5432 : db.port,
    connectTimeout: db["connect-timeout"] ?? 5,
  };
  if (db.user !== undefined) access.user = db.user;
  if (db.password !== undefined) access.password = db.password;
  return access;
}

/** The hosts databases of a configuration, in the order Kea asks them. */
export function hostsDatabases(config: {
  "hosts-database"?: HostsDatabase;
  "hosts-databases"?: HostsDatabase[];
}): HostsDatabase[] {
  const one = config["hosts-database"];
  return [...(one === undefined ? [] : [one]), ...(config["hosts-databases"] ?? [])];
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
): Promise<HostSource<S> | null> {
  const list = hostsDatabases(config);
  if (list.length === 0) return null;
  const opened: HostSource<S>[] = [];
  const top = family === 4 ? "Dhcp4" : "Dhcp6";
  for (let i = 0; i < list.length; i++) {
    try {
      const source = await openPgsqlHostSource(family, hostsDbAccess(list[i]!), defs);
      opened.push(source as unknown as HostSource<S>);
    } catch (e) {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      const key =
        config["hosts-database"] !== undefined
          ? i === 0
            ? "hosts-database"
            : `hosts-databases[${i - 1}]`
          : `hosts-databases[${i}]`;
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`${top}.${key}: cannot open the hosts database: ${why}`, { cause: e });
    }
  }
  return opened.length === 1 ? opened[0]! : new ChainedHostSource<H, S>(opened, makeStore);
}
