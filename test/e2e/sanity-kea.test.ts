/**
 * `sanity-checks.lease-checks` at lease file load, nestor-dhcp4 against Kea 2.2 (Debian's
 * kea-dhcp4): the same lease file (a sane lease, one whose subnet-id names the wrong subnet, one
 * whose address no subnet holds) loaded by both under each mode, then the leases each holds per
 * subnet (the subnet statistics, recounted from what was loaded) and the DHCPSRV_LEASE_SANITY_*
 * lines each logged, compared.
 *
 * Offline: no interfaces, a unix control socket; Kea never touches the network.
 * Needs kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { loggedIds, OfflineServer } from "./lib/contracts.ts";
import { keaPrerequisite, type Who } from "./lib/kea.ts";
import { requirePrerequisites } from "./lib/netns.ts";

requirePrerequisites([keaPrerequisite(4)]);

const dir = mkdtempSync(join(tmpdir(), "nestor-sanity-kea-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Math.floor(Date.now() / 1000);
const HEADER =
  "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";
const row = (address: string, mac: string, subnetId: number) =>
  `${address},${mac},,3600,${NOW + 3600},${subnetId},0,0,,0,`;
const LEASES = [
  HEADER,
  row("198.51.100.10", "02:00:00:00:02:01", 1), // sane
  row("203.0.113.10", "02:00:00:00:02:02", 1), // its address is subnet 2's
  row("198.18.0.10", "02:00:00:00:02:03", 2), // no subnet holds its address
  "",
].join("\n");

function config(who: Who, mode: string, d: string): { file: string; socket: string } {
  const socket = join(d, `${who}.sock`);
  const file = join(d, `${who}.json`);
  const leaseFile = join(d, `${who}-leases4.csv`);
  writeFileSync(leaseFile, LEASES);
  const body = {
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "sanity-checks": { "lease-checks": mode },
      subnet4: [
        { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
        { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.200" }] },
      ],
      loggers: [{ name: "kea-dhcp4", severity: "INFO", output_options: [{ output: "stdout" }] }],
    },
  };
  writeFileSync(file, JSON.stringify(body, null, 2));
  return { file, socket };
}

const SANITY = /^DHCPSRV_LEASE_SANITY_/;

/** Kea 2.2's leases in subnets 1 and 2 after the load, by mode. */
const KEA_ASSIGNED: Record<string, number[]> = {
  none: [2, 1],
  warn: [2, 1],
  fix: [1, 2],
  "fix-del": [1, 1],
  del: [1, 0],
};

for (const mode of ["none", "warn", "fix", "fix-del", "del"]) {
  test(`lease-checks "${mode}": the leases loaded per subnet and the lines logged are Kea 2.2's`, async () => {
    const got: Partial<Record<Who, unknown>> = {};
    for (const who of ["kea", "nestor"] as const) {
      const d = join(dir, `${mode}-${who}`);
      mkdirSync(d);
      const { file, socket } = config(who, mode, d);
      const server = await OfflineServer.start(who, 4, file, socket, d);
      try {
        const a = await server.command({ command: "statistic-get-all" });
        const stats = a.arguments as Record<string, [number, string][]>;
        const assigned = (id: number) => stats[`subnet[${id}].assigned-addresses`]?.[0]?.[0];
        got[who] = {
          assigned: [assigned(1), assigned(2)],
          warn: loggedIds(server.output, "WARN").filter((id) => SANITY.test(id)),
          info: loggedIds(server.output, "INFO").filter((id) => SANITY.test(id)),
        };
      } finally {
        await server.stop();
      }
    }
    // What Kea 2.2 did, so that the comparison is seen to show something.
    assert.deepEqual((got.kea as { assigned: number[] }).assigned, KEA_ASSIGNED[mode]);
    assert.deepEqual(got.nestor, got.kea, `Kea: ${JSON.stringify(got.kea)}`);
  });
}

const HEADER6 =
  "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";
const row6 = (address: string, duid: string, subnetId: number, type = 0, len = 128) =>
  `${address},${duid},3600,${NOW + 3600},${subnetId},3000,${type},1,${len},0,0,,,0,,,`;
const LEASES6 = [
  HEADER6,
  row6("2001:db8:1::10", "00:03:00:01:02:00:00:00:0e:01", 1), // sane
  row6("2001:db8:2::10", "00:03:00:01:02:00:00:00:0e:02", 1), // its address is subnet 2's
  row6("2001:db8:9::10", "00:03:00:01:02:00:00:00:0e:03", 2), // no subnet holds its address
  "",
].join("\n");

function config6(who: Who, mode: string, d: string): { file: string; socket: string } {
  const socket = join(d, `${who}.sock`);
  const file = join(d, `${who}.json`);
  const leaseFile = join(d, `${who}-leases6.csv`);
  writeFileSync(leaseFile, LEASES6);
  const body = {
    Dhcp6: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "sanity-checks": { "lease-checks": mode },
      subnet6: [
        { id: 1, subnet: "2001:db8:1::/64", pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::ff" }] },
        { id: 2, subnet: "2001:db8:2::/64", pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::ff" }] },
      ],
      loggers: [{ name: "kea-dhcp6", severity: "INFO", output_options: [{ output: "stdout" }] }],
    },
  };
  writeFileSync(file, JSON.stringify(body, null, 2));
  return { file, socket };
}

for (const mode of ["warn", "fix", "fix-del", "del"]) {
  test(`v6 lease-checks "${mode}": the address leases loaded per subnet and the lines logged are Kea 2.2's`, async () => {
    const got: Partial<Record<Who, unknown>> = {};
    for (const who of ["kea", "nestor"] as const) {
      const d = join(dir, `v6-${mode}-${who}`);
      mkdirSync(d);
      const { file, socket } = config6(who, mode, d);
      const server = await OfflineServer.start(who, 6, file, socket, d);
      try {
        const a = await server.command({ command: "statistic-get-all" });
        const stats = a.arguments as Record<string, [number, string][]>;
        const assigned = (id: number) => stats[`subnet[${id}].assigned-nas`]?.[0]?.[0];
        got[who] = {
          assigned: [assigned(1), assigned(2)],
          warn: loggedIds(server.output, "WARN").filter((id) => SANITY.test(id)),
          info: loggedIds(server.output, "INFO").filter((id) => SANITY.test(id)),
        };
      } finally {
        await server.stop();
      }
    }
    assert.deepEqual((got.kea as { assigned: number[] }).assigned, KEA_ASSIGNED[mode]);
    assert.deepEqual(got.nestor, got.kea, `Kea: ${JSON.stringify(got.kea)}`);
  });
}

test("a delegated prefix from its subnet's pd-pool passes the check under del, as in Kea 2.2", async () => {
  const got: Partial<Record<Who, unknown>> = {};
  for (const who of ["kea", "nestor"] as const) {
    const d = join(dir, `pd-${who}`);
    mkdirSync(d);
    const { file, socket } = config6(who, "del", d);
    const c = JSON.parse(readFileSync(file, "utf8")) as {
      Dhcp6: { subnet6: Record<string, unknown>[]; "lease-database": { name: string } };
    };
    c.Dhcp6.subnet6[0]!["pd-pools"] = [
      { prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 },
    ];
    writeFileSync(file, JSON.stringify(c));
    writeFileSync(
      c.Dhcp6["lease-database"].name,
      [HEADER6, row6("2001:db8:8::", "00:03:00:01:02:00:00:00:0e:04", 1, 2, 60), ""].join("\n"),
    );
    const server = await OfflineServer.start(who, 6, file, socket, d);
    try {
      const a = await server.command({ command: "statistic-get-all" });
      const stats = a.arguments as Record<string, [number, string][]>;
      got[who] = {
        pds: stats["subnet[1].assigned-pds"]?.[0]?.[0],
        info: loggedIds(server.output, "INFO").filter((id) => SANITY.test(id)),
      };
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(got.kea, { pds: 1, info: [] }, "Kea keeps it");
  assert.deepEqual(got.nestor, got.kea);
});
