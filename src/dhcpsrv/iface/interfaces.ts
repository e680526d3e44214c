/**
 * The machine's network interfaces: from the addon's getifaddrs() (every interface with its
 * index and flags, even one without an address) or, without the addon, from
 * os.networkInterfaces() (interfaces with an address only; no index, no flags).
 */
import os from "node:os";

import type { NativeBinding } from "./native.ts";

export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  prefixlen: number;
}

export interface NetInterface {
  name: string;
  /** Kernel interface index; 0 when unknown (no addon). */
  index: number;
  up: boolean;
  loopback: boolean;
  broadcast: boolean;
  multicast: boolean;
  mac: string;
  addresses: InterfaceAddress[];
}

export function listInterfaces(binding: NativeBinding | null): NetInterface[] {
  if (binding !== null) {
    return binding.interfaces().map((i) => ({
      name: i.name,
      index: i.index,
      up: i.up,
      loopback: i.loopback,
      broadcast: i.broadcast,
      multicast: i.multicast,
      mac: i.mac,
      addresses: i.addresses,
    }));
  }
  const result: NetInterface[] = [];
  for (const [name, infos] of Object.entries(os.networkInterfaces())) {
    if (infos === undefined) continue;
    const internal = infos.some((a) => a.internal);
    result.push({
      name,
      index: 0,
      up: true,
      loopback: internal,
      broadcast: !internal,
      multicast: !internal,
      mac: infos[0]?.mac ?? "",
      addresses: infos.map((a) => ({
        family: a.family === "IPv4" ? 4 : 6,
        address: a.address,
        prefixlen: Number((a.cidr ?? "/0").split("/")[1]),
      })),
    });
  }
  return result;
}
