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

/** Where a subnet's clients' reservations are looked for, and how they are checked. */
export interface ReservationModes {
  /** `reservations-global`: the global reservations apply. */
  readonly global: boolean;
  /** `reservations-in-subnet`: the subnet's own reservations apply. */
  readonly inSubnet: boolean;
  /**
   * `reservations-out-of-pool`: reservations are taken to be outside the pools, so a pool address
   * is handed out without checking whether it is reserved for another client.
   */
  readonly outOfPool: boolean;
}

/** The reservation flags of one configuration level, any of them absent. */
export interface ReservationModeKeys {
  "reservations-global"?: boolean;
  "reservations-in-subnet"?: boolean;
  "reservations-out-of-pool"?: boolean;
}

/**
 * The effective reservation modes of a subnet, as Kea 2.2 inherits them: the subnet's own keys,
 * else its shared network's, else the global ones (whose defaults are global false, in-subnet
 * true, out-of-pool false). `levels` goes from the most specific (the subnet) to the global level.
 */
export function reservationModes(
  ...levels: readonly (ReservationModeKeys | undefined)[]
): ReservationModes {
  const pick = (key: keyof ReservationModeKeys, fallback: boolean): boolean => {
    for (const level of levels) {
      const v = level?.[key];
      if (v !== undefined) return v;
    }
    return fallback;
  };
  return {
    global: pick("reservations-global", false),
    inSubnet: pick("reservations-in-subnet", true),
    outOfPool: pick("reservations-out-of-pool", false),
  };
}

/** Kea 2.2's defaults: the subnet's own reservations only, checked against the pools. */
export const DEFAULT_RESERVATION_MODES: ReservationModes = reservationModes();
