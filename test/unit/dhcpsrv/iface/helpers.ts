import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { loadNative, type NativeBinding } from "../../../../src/dhcpsrv/iface/native.ts";
import type { PacketSocket, ReceivedPacket } from "../../../../src/dhcpsrv/iface/packet-socket.ts";

/** The addon, or a failed assertion saying why: on Linux these tests must not silently skip. */
export function requireNative(): NativeBinding {
  const { binding, reason } = loadNative();
  if (binding === null) {
    assert.fail(`native socket addon unavailable (${reason}); build it with npm run build:native`);
  }
  return binding;
}

export interface Collected {
  batches: (readonly ReceivedPacket[])[];
  packets: ReceivedPacket[];
}

/** Resolves once `count` packets arrived through `subscribe`, or rejects after `ms`. */
export function collect(
  subscribe: (handler: (packets: readonly ReceivedPacket[]) => void) => void,
  count: number,
  ms = 2000,
): Promise<Collected> {
  const got: Collected = { batches: [], packets: [] };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`received ${got.packets.length} of ${count} packets in ${ms} ms`)),
      ms,
    );
    subscribe((packets) => {
      got.batches.push(packets);
      got.packets.push(...packets);
      if (got.packets.length >= count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

export function collectFrom(socket: PacketSocket, count: number, ms = 2000): Promise<Collected> {
  return collect((h) => socket.onBatch(h), count, ms);
}

/** Waits a little to show that nothing (more) arrives. */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function payloads(n: number, prefix = "dhcp"): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}-${i}`));
}

/** net.core.rmem_max: the most SO_RCVBUF gives without CAP_NET_ADMIN (the kernel doubles it). */
export function rmemMax(): number {
  return Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
}
