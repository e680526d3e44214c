/** The kinds of host reservation identifier, as Kea names them (v4 and v6). */
export const IdentifierType = {
  HW_ADDRESS: "hw-address",
  DUID: "duid",
  CIRCUIT_ID: "circuit-id",
  CLIENT_ID: "client-id",
  FLEX_ID: "flex-id",
} as const;
export type IdentifierType = (typeof IdentifierType)[keyof typeof IdentifierType];

/** One identifier of a client, as a reservation is looked up by. */
export interface HostIdentifier {
  readonly type: IdentifierType;
  readonly id: Uint8Array;
}

/**
 * Reservations kept outside the configuration (Kea's `hosts-database`), read once per query
 * before the query is processed: what `fetch` finds serves the query's lookups, after the
 * configuration's own reservations, as Kea's HostMgr asks its alternate sources after CfgHosts.
 */
export interface HostSource<S> {
  /**
   * The reservations of any of `ids`, in every subnet, and every reservation holding an address
   * (or v6 prefix) in subnet `subnetId` (undefined: none), as a store of their own.
   */
  fetch(ids: readonly HostIdentifier[], subnetId: number | undefined): Promise<S>;
  /** A text for log lines ("postgresql database 'kea' on /run/postgresql"). */
  readonly label: string;
  close(): Promise<void>;
}
