/**
 * stat_cmds side by side with Kea 2.2: kea-dhcp4 / kea-dhcp6 with Kea's own libdhcp_stat_cmds.so
 * and libdhcp_lease_cmds.so, and nestor-dhcp4 / nestor-dhcp6 on the same configuration (which
 * loads Nestor's versions), are given the same leases (lease4-add / lease6-add, in several
 * subnets and states) and asked stat-lease4-get / stat-lease6-get for all subnets, one subnet
 * and ranges, with every refusal; the answers must be the same field by field (the result
 * set's timestamp aside).
 *
 * Needs root and the Debian packages kea-dhcp4-server, kea-dhcp6-server and kea-common.
 */
import { after, before, describe, it } from "node:test";

import {
  sameAnswers,
  SideBySideSuite,
  type Step,
} from "../../../../test/e2e/lib/control-side-by-side.ts";

const LIBRARIES = [
  { name: "libdhcp_lease_cmds.so", debianPackage: "kea-common" },
  { name: "libdhcp_stat_cmds.so", debianPackage: "kea-common" },
];

/** The selections and refusals, for stat-leaseN-get. */
function queries(family: 4 | 6): Step[] {
  const command = `stat-lease${family}-get`;
  return [
    { command },
    { command, arguments: {} },
    { command, arguments: { "subnet-id": 2 } },
    { command, arguments: { "subnet-id": 9 }, note: "unknown subnet" },
    { command, arguments: { "subnet-id": 0 } },
    { command, arguments: { "subnet-id": "x" } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 1, "last-subnet-id": 2 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 2, "last-subnet-id": 5 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 5, "last-subnet-id": 9 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 5, "last-subnet-id": 2 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 2 } } },
    { command, arguments: { "subnet-range": { "last-subnet-id": 2 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 0, "last-subnet-id": 2 } } },
    { command, arguments: { "subnet-range": { "first-subnet-id": 1, "last-subnet-id": -2 } } },
    { command, arguments: { "subnet-range": 5 } },
    {
      command,
      arguments: { "subnet-id": 1, "subnet-range": { "first-subnet-id": 1, "last-subnet-id": 2 } },
    },
    { command, arguments: 5 },
  ];
}

describe("stat_cmds side by side with Kea 2.2", () => {
  const suite4 = new SideBySideSuite(4, LIBRARIES);
  const suite6 = new SideBySideSuite(6, LIBRARIES);
  before(() => {
    suite4.open("nestor-stat-cmds4-");
    suite6.open("nestor-stat-cmds6-");
  });
  after(async () => {
    await suite4.close();
    await suite6.close();
  });

  it("stat-lease4-get counts the leases as Kea, for all subnets, one and a range", async () => {
    const servers = await suite4.start("v4", {
      "valid-lifetime": 4000,
      "hooks-libraries": LIBRARIES.map((l) => ({ library: suite4.library(l.name) })),
      subnet4: [
        { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
        { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.0/26" }] },
        { id: 3, subnet: "198.18.0.0/16", pools: [] },
      ],
    });
    const add = (address: string, state: number, mac: string): Step => ({
      command: "lease4-add",
      arguments: { "ip-address": address, "hw-address": mac, state },
    });
    await sameAnswers(servers, [
      ...queries(4),
      add("198.51.100.20", 0, "02:00:00:00:00:01"),
      add("198.51.100.21", 1, "02:00:00:00:00:02"),
      add("203.0.113.5", 0, "02:00:00:00:00:03"),
      add("203.0.113.6", 0, "02:00:00:00:00:04"),
      add("203.0.113.7", 2, "02:00:00:00:00:05"),
      add("198.18.3.4", 0, "02:00:00:00:00:06"),
      ...queries(4),
    ]);
  });

  it("stat-lease6-get counts addresses and prefixes as Kea, for all subnets, one and a range", async () => {
    const servers = await suite6.start("v6", {
      "server-id": { type: "LLT", persist: false, htype: 1, identifier: "0a0b0c0d0e0f", time: 1 },
      "hooks-libraries": LIBRARIES.map((l) => ({ library: suite6.library(l.name) })),
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::ff" }],
          "pd-pools": [{ prefix: "2001:db8:100::", "prefix-len": 40, "delegated-len": 48 }],
        },
        { id: 2, subnet: "2001:db8:2::/64", pools: [{ pool: "2001:db8:2::/120" }] },
      ],
    });
    const add = (address: string, state: number, extra: Record<string, unknown> = {}): Step => ({
      command: "lease6-add",
      arguments: { "ip-address": address, duid: "01:02:03:04", iaid: 1, state, ...extra },
    });
    await sameAnswers(servers, [
      ...queries(6),
      add("2001:db8:1::20", 0),
      add("2001:db8:1::21", 1),
      add("2001:db8:2::5", 0),
      add("2001:db8:2::6", 2),
      add("2001:db8:100::", 0, { type: "IA_PD", "prefix-len": 48, "subnet-id": 1 }),
      ...queries(6),
    ]);
  });
});
