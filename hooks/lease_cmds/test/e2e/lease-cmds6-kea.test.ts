/**
 * lease_cmds for DHCPv6 side by side with Kea 2.2: kea-dhcp6 with Kea's own
 * libdhcp_lease_cmds.so and nestor-dhcp6 with the same configuration (which names Kea's file and
 * so loads Nestor's library) are sent the same commands, every lease6-* command of Kea 2.2 with
 * its error cases (lease6-bulk-apply included), and must give the same answers field by field
 * (result, text, arguments), the same lease statistics, and Nestor's lease file must hold what
 * the commands wrote.
 *
 * Needs root and the Debian packages kea-dhcp6-server and kea-common.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import {
  sameAnswers,
  SideBySideSuite,
  statisticValues,
  type Step,
} from "../../../../test/e2e/lib/control-side-by-side.ts";

const suite = new SideBySideSuite(6, [
  { name: "libdhcp_lease_cmds.so", debianPackage: "kea-common" },
]);

function settings(): Record<string, unknown> {
  return {
    "server-id": { type: "LLT", persist: false, htype: 1, identifier: "0a0b0c0d0e0f", time: 1000 },
    "valid-lifetime": 4000,
    "preferred-lifetime": 3000,
    "hooks-libraries": [{ library: suite.library("libdhcp_lease_cmds.so") }],
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::ff" }],
        "pd-pools": [{ prefix: "2001:db8:100::", "prefix-len": 40, "delegated-len": 48 }],
      },
      {
        id: 2,
        subnet: "2001:db8:2::/64",
        "valid-lifetime": 600,
        "preferred-lifetime": 500,
        pools: [{ pool: "2001:db8:2::/120" }],
      },
    ],
  };
}

/** Every lease6 command with its error cases, in an order that exercises each branch. */
const COMMANDS: Step[] = [
  { command: "lease6-add" },
  { command: "lease6-add", arguments: {} },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:1::5" } },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:1::5", duid: "01:02:03:04" } },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:1::5", iaid: 5 } },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::5", duid: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::5", duid: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::6", duid: "01:02:03:04", iaid: 5, "subnet-id": 2 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::6", duid: "01:02:03:04", iaid: 5, "subnet-id": 9 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:9::6", duid: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "198.51.100.1", duid: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::7", duid: "01:02:03:04", iaid: 6, type: "IA_XX" },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:1::7", duid: "01:02:03:04", iaid: 6, type: "IA_TA" },
  },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:1::7",
      duid: "01:02:03:04",
      iaid: 6,
      "hw-address": "1a:1b:1c:1d:1e:1f",
      hostname: "Six.Example.Org",
      "fqdn-fwd": true,
      "fqdn-rev": true,
      "valid-lft": 1000,
      "preferred-lft": 800,
      expire: 1900000000,
      state: 1,
      "user-context": { x: { y: true } },
    },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:100::", duid: "01:02:03:04", iaid: 7, type: "IA_PD" },
  },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:100::",
      duid: "01:02:03:04",
      iaid: 7,
      type: "IA_PD",
      "subnet-id": 1,
    },
  },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:100::",
      duid: "01:02:03:04",
      iaid: 7,
      type: "IA_PD",
      "subnet-id": 1,
      "prefix-len": 48,
    },
  },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:101::",
      duid: "01:02:03:04",
      iaid: 7,
      type: "IA_PD",
      "subnet-id": 1,
      "prefix-len": 48,
      state: 1,
    },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:2::9", duid: "0a:0b", iaid: 1, state: 2 },
  },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:2::a", duid: "0a:0b", iaid: 1, state: 3 },
  },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:2::b", duid: "0a:0b", iaid: -1 } },
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:2::c", duid: "0a:0b", iaid: 4294967295 },
  },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:2::d", duid: "", iaid: 1 } },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:2::e",
      duid: "0a:0b",
      iaid: 1,
      "preferred-lft": 900,
      "valid-lft": 800,
    },
  },
  { command: "lease6-get-all" },
  { command: "lease6-get-all", arguments: { subnets: [2] } },
  { command: "lease6-get" },
  { command: "lease6-get", arguments: {} },
  { command: "lease6-get", arguments: { "ip-address": "2001:db8:1::5" } },
  { command: "lease6-get", arguments: { "ip-address": "2001:db8:100::" } },
  { command: "lease6-get", arguments: { "ip-address": "2001:db8:100::", type: "IA_PD" } },
  { command: "lease6-get", arguments: { "ip-address": "198.51.100.1" } },
  { command: "lease6-get", arguments: { "ip-address": "2001:db8:1::99" } },
  {
    command: "lease6-get",
    arguments: { "identifier-type": "duid", identifier: "01:02:03:04", iaid: 5, "subnet-id": 1 },
  },
  {
    command: "lease6-get",
    arguments: {
      "identifier-type": "duid",
      identifier: "01:02:03:04",
      iaid: 7,
      "subnet-id": 1,
      type: "IA_PD",
    },
  },
  {
    command: "lease6-get",
    arguments: { "identifier-type": "duid", identifier: "01:02:03:04", "subnet-id": 1 },
  },
  {
    command: "lease6-get",
    arguments: { "identifier-type": "duid", identifier: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-get",
    arguments: {
      "identifier-type": "hw-address",
      identifier: "1a:1b:1c:1d:1e:1f",
      iaid: 5,
      "subnet-id": 1,
    },
  },
  {
    command: "lease6-get",
    arguments: { "identifier-type": "client-id", identifier: "1a:1b", iaid: 5, "subnet-id": 1 },
  },
  {
    command: "lease6-get",
    arguments: { "identifier-type": "duid", identifier: "ff:ff", iaid: 5, "subnet-id": 1 },
  },
  { command: "lease6-get-by-duid", arguments: { duid: "01:02:03:04" } },
  { command: "lease6-get-by-duid", arguments: { duid: "01:02:03:05" } },
  { command: "lease6-get-by-duid", arguments: {} },
  { command: "lease6-get-by-duid", arguments: { duid: 5 } },
  { command: "lease6-get-by-duid" },
  { command: "lease6-get-by-hostname", arguments: { hostname: "six.example.org" } },
  { command: "lease6-get-by-hostname", arguments: { hostname: "" } },
  { command: "lease6-get-page", arguments: { from: "start", limit: 2 } },
  { command: "lease6-get-page", arguments: { from: "2001:db8:1::5", limit: 3 } },
  { command: "lease6-get-page", arguments: { from: "198.51.100.1", limit: 3 } },
  { command: "lease6-get-page", arguments: { from: "x", limit: 3 } },
  { command: "lease6-get-page", arguments: { from: "::", limit: 0 } },
  { command: "lease6-get-page" },
  {
    command: "lease6-update",
    arguments: {
      "ip-address": "2001:db8:1::5",
      duid: "01:02:03:04",
      iaid: 5,
      hostname: "u.example",
    },
  },
  {
    command: "lease6-update",
    arguments: { "ip-address": "2001:db8:1::55", duid: "01:02:03:04", iaid: 5 },
  },
  {
    command: "lease6-update",
    arguments: {
      "ip-address": "2001:db8:1::55",
      duid: "01:02:03:04",
      iaid: 5,
      "force-create": true,
    },
  },
  { command: "lease6-update" },
  {
    command: "lease6-add",
    arguments: {
      "ip-address": "2001:db8:102::",
      duid: "01:02:03:04",
      iaid: 8,
      type: "IA_PD",
      "prefix-len": 48,
      "subnet-id": 1,
    },
  },
  {
    command: "lease6-update",
    arguments: {
      "ip-address": "2001:db8:102::",
      duid: "01:02:03:04",
      iaid: 8,
      type: "IA_PD",
      "prefix-len": 48,
      "subnet-id": 2,
    },
    note: "a prefix moved to another subnet",
  },
  {
    command: "lease6-update",
    arguments: { "ip-address": "2001:db8:2::c", duid: "0a:0b", iaid: 7, state: 1 },
    note: "default to declined",
  },
  {
    command: "lease6-update",
    arguments: { "ip-address": "2001:db8:2::9", duid: "0a:0b", iaid: 1, state: 0 },
    note: "reclaimed to default",
  },
  { command: "lease6-get-all", arguments: { subnets: [2, 1] } },
  { command: "lease6-bulk-apply" },
  { command: "lease6-bulk-apply", arguments: {} },
  { command: "lease6-bulk-apply", arguments: { leases: [] } },
  { command: "lease6-bulk-apply", arguments: { leases: 5 } },
  {
    command: "lease6-bulk-apply",
    arguments: {
      "deleted-leases": [
        { "ip-address": "2001:db8:1::55" },
        { "ip-address": "2001:db8:1::56" },
        { "ip-address": "2001:db8:100::", type: "IA_PD" },
      ],
      leases: [
        { "ip-address": "2001:db8:2::20", duid: "0c", iaid: 3 },
        { "ip-address": "2001:db8:2::21", duid: "0c", iaid: 3, "subnet-id": 1 },
      ],
    },
  },
  {
    command: "lease6-bulk-apply",
    arguments: {
      "deleted-leases": [{ "ip-address": "2001:db8:1::7" }],
      leases: [
        { "ip-address": "2001:db8:2::22", duid: "0c", iaid: 3, "subnet-id": 2 },
        { "ip-address": "2001:db8:2::20", duid: "0d", iaid: 4, "subnet-id": 2 },
      ],
    },
  },
  {
    command: "lease6-bulk-apply",
    arguments: {
      "deleted-leases": [{ "ip-address": "2001:db8:2::22", type: "IA_NA" }],
      leases: [{ "ip-address": "2001:db8:2::23", duid: "0c", iaid: 3, "subnet-id": 2 }],
    },
  },
  {
    command: "lease6-bulk-apply",
    arguments: {
      "deleted-leases": [{ "ip-address": "2001:db8:2::22" }],
      leases: [{ "ip-address": "2001:db8:2::23", iaid: 3, "subnet-id": 2 }],
    },
  },
  { command: "lease6-del" },
  { command: "lease6-del", arguments: { "ip-address": "2001:db8:1::99" } },
  { command: "lease6-del", arguments: { "ip-address": "2001:db8:1::5" } },
  { command: "lease6-del", arguments: { "ip-address": "2001:db8:101::", type: "IA_PD" } },
  {
    command: "lease6-del",
    arguments: { "identifier-type": "duid", identifier: "0c", iaid: 3, "subnet-id": 2 },
  },
  { command: "lease6-resend-ddns", arguments: { "ip-address": "2001:db8:2::20" } },
  { command: "lease6-resend-ddns", arguments: {} },
];

const WIPE: Step[] = [
  {
    command: "lease6-add",
    arguments: { "ip-address": "2001:db8:2::41", duid: "0a:0b", iaid: 9, "valid-lft": 700 },
    note: "a valid lifetime and no preferred one",
  },
  { command: "lease6-get", arguments: { "ip-address": "2001:db8:2::41" } },
  { command: "lease6-wipe", arguments: { "subnet-id": 2 } },
  { command: "lease6-wipe" },
  { command: "lease6-get-all" },
  { command: "lease6-add", arguments: { "ip-address": "2001:db8:2::40", duid: "0a:0b", iaid: 9 } },
  { command: "lease6-wipe", arguments: { "subnet-id": 9 } },
  { command: "lease6-wipe" },
  { command: "lease6-wipe" },
];

/** The lease statistics both servers keep. */
function leaseStatistic(name: string): boolean {
  return /^(subnet\[\d+\]\.)?(assigned|declined|reclaimed|cumulative)/.test(name);
}

describe("lease_cmds (v6) side by side with Kea 2.2", () => {
  before(() => suite.open("nestor-lease-cmds6-"));
  after(() => suite.close());

  it("answers every lease6 command and error case as Kea, keeps the same statistics and writes the lease file", async () => {
    const servers = await suite.start("all", settings());
    const stats = async () => {
      const get = { command: "statistic-get-all" };
      const kea = statisticValues(await servers.kea.send(get), leaseStatistic);
      const nestor = statisticValues(await servers.nestor.send(get), leaseStatistic);
      assert.deepEqual(nestor, kea, "lease statistics");
    };
    await sameAnswers(servers, COMMANDS);
    await stats();
    // What the commands wrote is in Nestor's lease file as soon as they answered.
    const rows = readFileSync(servers.nestor.leaseFile, "utf8");
    assert.match(rows, /^2001:db8:2::23,0c,/m);
    assert.match(rows, /^2001:db8:100::,01:02:03:04,/m);
    await sameAnswers(servers, WIPE);
    await stats();
  });
});
