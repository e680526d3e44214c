/**
 * lease_cmds for DHCPv4 side by side with Kea 2.2: kea-dhcp4 with Kea's own
 * libdhcp_lease_cmds.so and nestor-dhcp4 with the same configuration (which names Kea's file and
 * so loads Nestor's library) are sent the same commands, every lease4-* command of Kea 2.2 with
 * its error cases, and must give the same answers field by field (result, text, arguments), the
 * same lease statistics, and Nestor's lease file must hold what the commands wrote.
 *
 * Needs root and the Debian packages kea-dhcp4-server and kea-common.
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

const suite = new SideBySideSuite(4, [
  { name: "libdhcp_lease_cmds.so", debianPackage: "kea-common" },
]);

function settings(): Record<string, unknown> {
  return {
    "valid-lifetime": 4000,
    "hooks-libraries": [{ library: suite.library("libdhcp_lease_cmds.so") }],
    subnet4: [
      { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
      {
        id: 2,
        subnet: "203.0.113.0/24",
        "valid-lifetime": 600,
        pools: [{ pool: "203.0.113.10 - 203.0.113.20" }],
      },
    ],
  };
}

const HW1 = "1a:1b:1c:1d:1e:1f";
const HW2 = "1a:1b:1c:1d:1e:2f";

/** lease4-add, with every optional parameter and every refusal. */
const ADD: Step[] = [
  { command: "lease4-get-all", note: "empty store" },
  { command: "lease4-add", note: "no arguments" },
  { command: "lease4-add", arguments: {}, note: "missing ip-address" },
  { command: "lease4-add", arguments: { "ip-address": "198.51.100.5" }, note: "missing hw" },
  { command: "lease4-add", arguments: { "hw-address": HW1 } },
  { command: "lease4-add", arguments: { "ip-address": "198.51.100.50", "hw-address": HW1 } },
  { command: "lease4-add", arguments: { "ip-address": "198.51.100.5", "hw-address": HW1 } },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.5", "hw-address": HW1 },
    note: "already exists",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.6", "hw-address": HW1, "subnet-id": 2 },
    note: "address outside the subnet",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.6", "hw-address": HW1, "subnet-id": 7 },
    note: "unknown subnet",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "203.0.114.1", "hw-address": HW1 },
    note: "no subnet holds the address",
  },
  { command: "lease4-add", arguments: { "ip-address": "bogus", "hw-address": HW1 } },
  { command: "lease4-add", arguments: { "ip-address": "2001:db8::1", "hw-address": HW1 } },
  { command: "lease4-add", arguments: { "ip-address": "198.51.100.7", "hw-address": "zz" } },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": "1A1B1C1D1E1F" },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, state: 7 },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, state: 3 },
    note: "released is not a state of Kea 2.2",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, "fqdn-fwd": true },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, "user-context": 5 },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, "subnet-id": "1" },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, "valid-lft": -1 },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, expire: -5 },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW1, expire: 5 },
    note: "expire before the valid lifetime",
  },
  {
    command: "lease4-add",
    arguments: {
      "ip-address": "198.51.100.7",
      "hw-address": HW2,
      "client-id": "01:02:03",
      hostname: "Host.Example.ORG",
      "fqdn-fwd": true,
      "fqdn-rev": false,
      "valid-lft": 1000,
      expire: 1900000000,
      state: 1,
      "user-context": { a: [1, 2], b: "x" },
    },
    note: "every parameter",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "203.0.113.12", "hw-address": HW1, comment: "moved in" },
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "203.0.113.10", "hw-address": HW1, state: 2 },
  },
  {
    command: "lease4-add",
    arguments: {
      "ip-address": "203.0.113.14",
      "hw-address": "",
      "client-id": "aa:bb",
      "subnet-id": 2,
      comment: "c",
      "user-context": { comment: "d" },
    },
    note: "comment twice",
  },
  {
    command: "lease4-add",
    arguments: { "ip-address": "203.0.113.14", "hw-address": "", "client-id": "aa:bb" },
  },
  { command: "lease4-get-all" },
];

/** The getters. */
const GET: Step[] = [
  { command: "lease4-get-all", arguments: { subnets: [2] } },
  { command: "lease4-get-all", arguments: { subnets: [2, 1] } },
  { command: "lease4-get-all", arguments: { subnets: [9] }, note: "unknown subnet" },
  { command: "lease4-get-all", arguments: { subnets: 2 } },
  { command: "lease4-get-all", arguments: { subnets: ["x"] } },
  { command: "lease4-get-all", arguments: {} },
  { command: "lease4-get" },
  { command: "lease4-get", arguments: {} },
  { command: "lease4-get", arguments: { "ip-address": "198.51.100.5" } },
  { command: "lease4-get", arguments: { "ip-address": "198.51.100.99" }, note: "not found" },
  { command: "lease4-get", arguments: { "ip-address": "2001:db8::1" } },
  { command: "lease4-get", arguments: { "ip-address": 5 } },
  {
    command: "lease4-get",
    arguments: { "identifier-type": "hw-address", identifier: HW1, "subnet-id": 1 },
  },
  { command: "lease4-get", arguments: { "identifier-type": "hw-address", identifier: HW1 } },
  {
    command: "lease4-get",
    arguments: { "identifier-type": "client-id", identifier: "01:02:03", "subnet-id": 1 },
  },
  {
    command: "lease4-get",
    arguments: { "identifier-type": "duid", identifier: "01:02:03", "subnet-id": 1 },
  },
  {
    command: "lease4-get",
    arguments: { "identifier-type": "foo", identifier: "01:02:03", "subnet-id": 1 },
  },
  { command: "lease4-get", arguments: { "identifier-type": "hw-address", "subnet-id": 1 } },
  { command: "lease4-get", arguments: { identifier: HW1, "subnet-id": 1 } },
  { command: "lease4-get", arguments: { "subnet-id": "1", identifier: HW1 } },
  {
    command: "lease4-get",
    arguments: { "identifier-type": "hw-address", identifier: "ff:ff", "subnet-id": 1 },
  },
  { command: "lease4-get-by-hw-address" },
  { command: "lease4-get-by-hw-address", arguments: {} },
  { command: "lease4-get-by-hw-address", arguments: { "hw-address": 5 } },
  { command: "lease4-get-by-hw-address", arguments: { "hw-address": HW1 } },
  { command: "lease4-get-by-hw-address", arguments: { "hw-address": "00:00:00:00:00:01" } },
  { command: "lease4-get-by-client-id", arguments: { "client-id": "01:02:03" } },
  { command: "lease4-get-by-client-id", arguments: { "client-id": "01:02:04" } },
  { command: "lease4-get-by-client-id", arguments: {} },
  { command: "lease4-get-by-client-id" },
  { command: "lease4-get-by-hostname", arguments: { hostname: "host.example.org" } },
  { command: "lease4-get-by-hostname", arguments: { hostname: "HOST.example.org" } },
  { command: "lease4-get-by-hostname", arguments: { hostname: "nobody.example.org" } },
  { command: "lease4-get-by-hostname", arguments: { hostname: "" } },
  { command: "lease4-get-by-hostname", arguments: { hostname: 5 } },
  { command: "lease4-get-by-hostname", arguments: {} },
  { command: "lease4-get-page", arguments: { from: "start", limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "198.51.100.7", limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "198.51.100.6", limit: 100 } },
  { command: "lease4-get-page", arguments: { from: "203.0.113.200", limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "0.0.0.0", limit: 3 } },
  { command: "lease4-get-page", arguments: { from: "0.0.0.0", limit: 0 } },
  { command: "lease4-get-page", arguments: { limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "start" } },
  { command: "lease4-get-page", arguments: { from: "2001:db8::", limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "x", limit: 2 } },
  { command: "lease4-get-page", arguments: { from: 5, limit: 2 } },
  { command: "lease4-get-page", arguments: { from: "start", limit: "2" } },
  { command: "lease4-get-page" },
];

/** Updates, deletions, DDNS, wipes; the statistics are compared between them. */
const CHANGE: Step[] = [
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.5", "hw-address": HW1, hostname: "new.example" },
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.51", "hw-address": HW1 },
    note: "no such lease",
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.51", "hw-address": HW1, "force-create": true },
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.52", "hw-address": HW1, "force-create": "yes" },
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.5", "hw-address": HW1, "subnet-id": 2 },
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.7", "hw-address": HW2, state: 0, hostname: "x" },
    note: "declined to default",
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "203.0.113.10", "hw-address": HW1, state: 1 },
    note: "reclaimed to declined",
  },
  {
    command: "lease4-update",
    arguments: { "ip-address": "198.51.100.50", "hw-address": HW1, state: 2 },
    note: "default to reclaimed",
  },
  { command: "lease4-update" },
  {
    command: "lease4-update",
    arguments: { "ip-address": "203.0.113.12", "hw-address": HW2, hostname: "moved.example" },
    note: "another client: the lease keeps its place in its subnet",
  },
  { command: "lease4-get-all", arguments: { subnets: [2] } },
  { command: "lease4-get-by-hw-address", arguments: { "hw-address": HW2 } },
  { command: "lease4-get-by-hostname", arguments: { hostname: "moved.example" } },
  { command: "lease4-get-all" },
  { command: "lease4-del" },
  { command: "lease4-del", arguments: { "ip-address": "198.51.100.99" }, note: "not found" },
  { command: "lease4-del", arguments: { "ip-address": "198.51.100.51" } },
  {
    command: "lease4-del",
    arguments: { "identifier-type": "hw-address", identifier: HW1, "subnet-id": 1 },
  },
  {
    command: "lease4-del",
    arguments: { "identifier-type": "client-id", identifier: "09:09", "subnet-id": 1 },
  },
  {
    command: "lease4-del",
    arguments: { "identifier-type": "duid", identifier: "09:09", "subnet-id": 1 },
  },
  { command: "lease4-resend-ddns", arguments: { "ip-address": "198.51.100.7" } },
  { command: "lease4-resend-ddns", arguments: { "ip-address": "198.51.100.99" } },
  { command: "lease4-resend-ddns", arguments: { "ip-address": "2001:db8::1" } },
  { command: "lease4-resend-ddns", arguments: { "ip-address": "nonsense" } },
  { command: "lease4-resend-ddns", arguments: {} },
  { command: "lease4-get-all" },
];

const WIPE: Step[] = [
  { command: "lease4-wipe", arguments: { "subnet-id": 2 } },
  { command: "lease4-wipe", arguments: { "subnet-id": 9 }, note: "unknown subnet" },
  { command: "lease4-get-all" },
  { command: "lease4-add", arguments: { "ip-address": "203.0.113.11", "hw-address": HW1 } },
  { command: "lease4-wipe" },
  { command: "lease4-get-all" },
  { command: "lease4-wipe" },
];

/** The lease statistics both servers keep. */
function leaseStatistic(name: string): boolean {
  return /^(subnet\[\d+\]\.)?(assigned|declined|reclaimed|cumulative)/.test(name);
}

describe("lease_cmds (v4) side by side with Kea 2.2", () => {
  before(() => suite.open("nestor-lease-cmds4-"));
  after(() => suite.close());

  it("answers every lease4 command and error case as Kea, keeps the same statistics and writes the lease file", async () => {
    const servers = await suite.start("all", settings());
    const stats = async () => {
      const get = { command: "statistic-get-all" };
      const kea = statisticValues(await servers.kea.send(get), leaseStatistic);
      const nestor = statisticValues(await servers.nestor.send(get), leaseStatistic);
      assert.deepEqual(nestor, kea, "lease statistics");
    };
    await sameAnswers(servers, ADD);
    await stats();
    await sameAnswers(servers, GET);
    await sameAnswers(servers, CHANGE);
    await stats();
    // What the commands wrote is in Nestor's lease file as soon as they answered.
    const rows = readFileSync(servers.nestor.leaseFile, "utf8");
    assert.match(rows, /^198\.51\.100\.7,1a:1b:1c:1d:1e:2f,01:02:03,1000,/m);
    assert.match(rows, /^198\.51\.100\.51,1a:1b:1c:1d:1e:1f,,4000,/m);
    await sameAnswers(servers, WIPE);
    await stats();
  });
});
