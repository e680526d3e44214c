/**
 * The machine's network interfaces: from the addon's getifaddrs() (every interface with its
 * index and flags, even one without an address) or, without the addon, from /sys/class/net
 * (index, flags, MAC) and os.networkInterfaces() (addresses); where /sys is not there, from
 * os.networkInterfaces() alone (interfaces with an address only; index 0, flags guessed).
 */
import { readFileSync, readdirSync } from "node:fs";
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
  const system = os.networkInterfaces();
  const fromSys = listFromSys(system);
  if (fromSys !== null) return fromSys;
  const result: NetInterface[] = [];
  for (const [name, infos] of Object.entries(system)) {
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
      addresses: toAddresses(infos),
    });
  }
  return result;
}

const SYS_NET = "/sys/class/net";
// <linux/if.h>
const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_MULTICAST = 0x1000;

function listFromSys(system: NodeJS.Dict<os.NetworkInterfaceInfo[]>): NetInterface[] | null {
  let names: string[];
  try {
    names = readdirSync(SYS_NET);
  } catch {
    return null;
  }
  const result: NetInterface[] = [];
  for (const name of names) {
    try {
      const read = (file: string) => readFileSync(`${SYS_NET}/${name}/${file}`, "utf8").trim();
      const flags = Number.parseInt(read("flags"), 16);
      result.push({
        name,
        index: Number(read("ifindex")),
        up: (flags & IFF_UP) !== 0,
        loopback: (flags & IFF_LOOPBACK) !== 0,
        broadcast: (flags & IFF_BROADCAST) !== 0,
        multicast: (flags & IFF_MULTICAST) !== 0,
        mac: read("address"),
        addresses: toAddresses(system[name] ?? []),
      });
    } catch {
      // Gone while we looked: skip it.
    }
  }
  return result.sort((a, b) => a.index - b.index);
}

function toAddresses(infos: os.NetworkInterfaceInfo[]): InterfaceAddress[] {
  return infos.map((a) => ({
    family: a.family === "IPv4" ? 4 : 6,
    address: a.address,
    prefixlen: Number((a.cidr ?? "/0").split("/")[1]),
  }));
}
