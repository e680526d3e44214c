/**
 * Differential test of run_script against Kea 2.2's own libdhcp_run_script.so: the same
 * configuration (the very same hooks-libraries entry, naming Kea's shared object, which Nestor
 * maps to its own library) and the same client exchanges, first against kea-dhcp4/kea-dhcp6,
 * then against nestor-dhcp4/nestor-dhcp6, on the same interfaces of the same namespaces. The
 * script records its argument and its environment exactly as it got them (/proc/$$/environ).
 * For every hook point, Kea's and Nestor's runs are compared in order: same variable names,
 * same values, except those listed in DIFFERENCES with the reason.
 *
 * v4: udhcpc (obtain, renew, release), then a scripted relay agent with option 82 (client A:
 * DISCOVER/REQUEST, DECLINE; client B: DISCOVER/REQUEST, left to expire); the reclaimer then
 * expires B's lease and recovers A's declined address after the probation period.
 * v6: dhclient -6 (obtain, renew at T1, release), then a scripted client (A: SOLICIT/REQUEST,
 * REBIND, DECLINE; B: an address and a prefix, left to expire).
 *
 * Needs root, iproute2, udhcpc, isc-dhcp-client, kea-dhcp4-server, kea-dhcp6-server, kea-common.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test, type TestContext } from "node:test";

import { Udhcpc } from "../../../../test/e2e/lib/clients.ts";
import { Dhclient6 } from "../../../../test/e2e/lib/clients6.ts";
import {
  keaPrerequisite,
  keaThenNestor,
  requireKeaHookLibrary,
  type Who,
} from "../../../../test/e2e/lib/kea.ts";
import {
  countScriptRuns,
  readScriptRuns,
  writeEnvScript,
  type ScriptRun,
} from "../../../../test/e2e/lib/env-script.ts";
import { bin, requirePrerequisites, TestBed, waitFor } from "../../../../test/e2e/lib/netns.ts";

const CRAFT = fileURLToPath(new URL("./craft-client.ts", import.meta.url));

const BOUNDED = { timeout: 180_000 };

function prerequisites(family: 4 | 6): string {
  requirePrerequisites([
    { program: "ip", debianPackage: "iproute2" },
    family === 4
      ? { program: "udhcpc", debianPackage: "udhcpc" }
      : { program: "dhclient", debianPackage: "isc-dhcp-client" },
    keaPrerequisite(family),
  ]);
  return requireKeaHookLibrary("libdhcp_run_script.so", "kea-common");
}

type Run = ScriptRun;

async function waitHook(bed: TestBed, out: string, hook: string, n = 1, ms = 30_000) {
  await waitFor(
    `${n} run(s) of the script for ${hook}`,
    () => (countScriptRuns(out, hook) >= n ? true : undefined),
    ms,
    () =>
      `runs: ${readScriptRuns(out)
        .map((r) => r.hook)
        .join(" ")}\n${bed.describe()}`,
  );
}

/**
 * What both servers' configurations share: the lease file, fast reclamation, a short decline
 * probation, the run_script library (Kea's name for it) running `script`, and the log on stdout.
 */
function common(bed: TestBed, who: Who, family: 4 | 6, so: string, script: string) {
  return {
    "lease-database": {
      type: "memfile",
      name: join(bed.dir, `${who}-leases${family}.csv`),
      "lfc-interval": 0,
    },
    "decline-probation-period": 3,
    "expired-leases-processing": {
      "reclaim-timer-wait-time": 1,
      "flush-reclaimed-timer-wait-time": 0,
      "hold-reclaimed-time": 0,
    },
    "hooks-libraries": [{ library: so, parameters: { name: script } }],
    loggers: [
      { name: `kea-dhcp${family}`, output_options: [{ output: "stdout" }], severity: "INFO" },
    ],
  };
}

/** Runs the scripted client in the client's namespace. */
function craft(bed: TestBed, ns: string, spec: object): string {
  return bed.exec(ns, process.execPath, [CRAFT, JSON.stringify(spec)], 30_000);
}

/**
 * A variable whose value may differ between Kea and Nestor, and why. `when` limits it to some
 * runs (the queries of a real client, whose transaction ids are random).
 */
interface Difference {
  name: RegExp;
  reason: string;
  when?: (kea: Run) => boolean;
}

const RECLAIM_HOOKS = new Set([
  "lease4_expire",
  "lease4_recover",
  "lease6_expire",
  "lease6_recover",
]);

function byLease(a: Run, b: Run): number {
  const key = (r: Run) =>
    `${r.env.LEASE4_ADDRESS ?? ""}${r.env.LEASE6_TYPE ?? ""}/${r.env.LEASE6_ADDRESS ?? ""}`;
  return key(a).localeCompare(key(b));
}

/**
 * Queries of different clients sent back to back (a REBIND and the DECLINE after it) may have
 * their scripts' records land in either order, the scripts running concurrently: runs are grouped
 * by client and message, and keep their time order within a group (sort is stable).
 */
function byQuery(a: Run, b: Run): number {
  const key = (r: Run) =>
    [
      r.env.QUERY4_HWADDR ?? "",
      r.env.QUERY4_CLIENT_ID ?? r.env.QUERY6_CLIENT_ID ?? "",
      r.env.QUERY4_TYPE ?? r.env.QUERY6_TYPE ?? "",
    ].join("|");
  return key(a).localeCompare(key(b));
}

interface Comparison {
  problems: string[];
  /** Runs paired, values compared equal, values that differ as DIFFERENCES allow (with both). */
  runs: number;
  equal: number;
  allowed: string[];
}

function compare(kea: Run[], nestor: Run[], differences: readonly Difference[]): Comparison {
  const problems: string[] = [];
  const allowedSeen: string[] = [];
  let paired = 0;
  let equal = 0;
  const hooks = new Set([...kea, ...nestor].map((r) => r.hook));
  for (const hook of [...hooks].sort()) {
    // Leases reclaimed in one cycle come in the lease store's order, which for equal expiry
    // times is each server's own: reclamation runs are paired by lease, the others by query.
    const k = kea.filter((r) => r.hook === hook);
    const n = nestor.filter((r) => r.hook === hook);
    const order = RECLAIM_HOOKS.has(hook) ? byLease : byQuery;
    k.sort(order);
    n.sort(order);
    if (k.length !== n.length) {
      problems.push(`${hook}: Kea ran the script ${k.length} times, Nestor ${n.length}`);
      continue;
    }
    k.forEach((kr, i) => {
      const nr = n[i]!;
      const at = `${hook}[${i}]`;
      paired += 1;
      if (kr.argc !== 1 || nr.argc !== 1)
        problems.push(`${at}: argc Kea ${kr.argc} Nestor ${nr.argc}`);
      const kn = Object.keys(kr.env).sort();
      const nn = Object.keys(nr.env).sort();
      const onlyKea = kn.filter((x) => !(x in nr.env));
      const onlyNestor = nn.filter((x) => !(x in kr.env));
      if (onlyKea.length > 0) problems.push(`${at}: only Kea has ${onlyKea.join(", ")}`);
      if (onlyNestor.length > 0) problems.push(`${at}: only Nestor has ${onlyNestor.join(", ")}`);
      for (const name of kn) {
        if (!(name in nr.env)) continue;
        if (kr.env[name] === nr.env[name]) {
          equal += 1;
          continue;
        }
        const allowed = differences.some(
          (d) => d.name.test(name) && (d.when === undefined || d.when(kr)),
        );
        const line = `${at}: ${name} Kea '${kr.env[name]}' Nestor '${nr.env[name]}'`;
        if (allowed) allowedSeen.push(line);
        else problems.push(line);
      }
    });
  }
  return { problems, runs: paired, equal, allowed: allowedSeen };
}

/** The CLTT of a lease is the time of the exchange (or of the reclamation): never the same. */
const CLTT: Difference = { name: /_CLTT$/, reason: "a time: the runs happen at different times" };

/** The runs' hooks include each of `expected`, and the two servers' runs are alike. */
function assertSameRuns(
  t: TestContext,
  runs: Record<Who, Run[]>,
  expected: readonly string[],
  differences: readonly Difference[],
): void {
  const hooks = runs.kea.map((r) => r.hook);
  for (const h of expected) {
    assert.ok(hooks.includes(h), `Kea ran the script for ${h}: ${hooks.join(" ")}`);
  }
  const c = compare(runs.kea, runs.nestor, differences);
  t.diagnostic(
    `${c.runs} runs paired, ${c.equal} values equal, ${c.allowed.length} allowed differences`,
  );
  for (const line of c.allowed) t.diagnostic(`allowed: ${line}`);
  assert.deepEqual(c.problems, [], c.problems.join("\n"));
}

describe("run_script: Kea 2.2's libdhcp_run_script.so and Nestor's give scripts the same environment", () => {
  test(
    "DHCPv4: udhcpc, a relay agent with option 82, decline, expiry, recovery",
    BOUNDED,
    async (t) => {
      const so = prerequisites(4);
      const bed = new TestBed("run_script kea differential v4", "nrs");
      try {
        const srvNs = bed.namespace("srv");
        const cliNs = bed.namespace("cli");
        const { a: srvIf, b: cliIf } = bed.link(
          { ns: srvNs, role: "s", address: "198.51.100.1/24", mac: "02:00:5e:00:00:01" },
          { ns: cliNs, role: "c", address: "198.51.100.254/24", mac: "02:00:5e:00:00:02" },
        );
        const script = join(bed.dir, "hook.sh");
        const outOf = (who: Who) => join(bed.dir, `out-${who}4`);
        // udhcpc's script configures the address without flushing the relay's address.
        const udhcpcScript = join(bed.dir, "udhcpc.sh");
        writeFileSync(
          udhcpcScript,
          `#!/bin/sh\ncase "$1" in bound|renew) ${bin("ip")} addr replace "$ip/$mask" dev "$interface" ;; esac\nexit 0\n`,
        );
        chmodSync(udhcpcScript, 0o755);

        const runs = await keaThenNestor(
          bed,
          srvNs,
          4,
          (who) => {
            writeEnvScript(script, outOf(who));
            const config = join(bed.dir, `${who}-dhcp4.json`);
            writeFileSync(
              config,
              JSON.stringify({
                Dhcp4: {
                  "interfaces-config": { interfaces: [srvIf] },
                  "valid-lifetime": 12,
                  subnet4: [
                    {
                      id: 1,
                      subnet: "198.51.100.0/24",
                      pools: [{ pool: "198.51.100.10 - 198.51.100.50" }],
                      "option-data": [{ name: "routers", data: "198.51.100.1" }],
                    },
                  ],
                  ...common(bed, who, 4, so, script),
                },
              }),
            );
            return config;
          },
          async (who, server) => {
            const out = outOf(who);
            // A real client: obtain, renew (SIGUSR1), release (SIGUSR2).
            spawnSync(bin("ip"), [
              "-n",
              cliNs,
              "addr",
              "flush",
              "dev",
              cliIf,
              "to",
              "198.51.100.0/26",
            ]);
            const udhcpc = new Udhcpc(bed, cliNs, cliIf, {
              script: udhcpcScript,
              label: `udhcpc (${who})`,
            });
            await waitHook(bed, out, "leases4_committed", 1);
            await udhcpc.renew();
            await waitHook(bed, out, "lease4_renew", 1);
            await udhcpc.release();
            await waitHook(bed, out, "lease4_release", 1);
            await udhcpc.proc.stop();
            // A relay agent with option 82: client A takes an address and declines it, client B
            // takes one and leaves it to expire.
            const relayed = { family: 4, relay: "198.51.100.254", server: "198.51.100.1" };
            craft(bed, cliNs, {
              ...relayed,
              mac: "02:00:5e:00:00:0a",
              xid: 0x1000,
              steps: ["dora", "decline"],
            });
            await waitHook(bed, out, "lease4_decline", 1);
            craft(bed, cliNs, {
              ...relayed,
              mac: "02:00:5e:00:00:0b",
              xid: 0x2000,
              steps: ["dora"],
            });
            await waitHook(bed, out, "lease4_recover", 1);
            await waitHook(bed, out, "lease4_expire", 2); // A's declined lease, then B's
            await new Promise((r) => setTimeout(r, 1500)); // nothing else may follow
            await server.stop();
            return readScriptRuns(out);
          },
        );
        const udhcpcQuery = (r: Run) => r.env.QUERY4_GIADDR === "0.0.0.0";
        const differences: Difference[] = [
          CLTT,
          {
            name: /^QUERY4_(TXID|SECS)$/,
            reason: "udhcpc picks a random transaction id and counts seconds per run",
            when: udhcpcQuery,
          },
        ];
        assertSameRuns(
          t,
          runs,
          [
            "leases4_committed",
            "lease4_renew",
            "lease4_release",
            "lease4_decline",
            "lease4_expire",
            "lease4_recover",
          ],
          differences,
        );
      } finally {
        await bed.close();
      }
    },
  );

  test(
    "DHCPv6: dhclient -6, a scripted client with rebind, decline, a prefix, expiry, recovery",
    BOUNDED,
    async (t) => {
      const so = prerequisites(6);
      const bed = new TestBed("run_script kea differential v6", "nrs");
      try {
        const srvNs = bed.namespace("srv");
        const cliNs = bed.namespace("cli");
        for (const ns of [srvNs, cliNs]) bed.noDad(ns);
        const { a: srvIf, b: cliIf } = bed.link(
          { ns: srvNs, role: "s", mac: "02:00:5e:00:00:01", address: "2001:db8:1::1/64" },
          { ns: cliNs, role: "c", mac: "02:00:5e:00:00:02" },
        );
        const script = join(bed.dir, "hook.sh");
        const outOf = (who: Who) => join(bed.dir, `out-${who}6`);
        const runs = await keaThenNestor(
          bed,
          srvNs,
          6,
          (who) => {
            writeEnvScript(script, outOf(who));
            const config = join(bed.dir, `${who}-dhcp6.json`);
            writeFileSync(
              config,
              JSON.stringify({
                Dhcp6: {
                  "interfaces-config": { interfaces: [srvIf] },
                  "server-id": { type: "LLT", persist: false },
                  "data-directory": bed.dir,
                  "preferred-lifetime": 8,
                  "valid-lifetime": 12,
                  "renew-timer": 3,
                  "rebind-timer": 6,
                  subnet6: [
                    {
                      id: 1,
                      subnet: "2001:db8:1::/64",
                      interface: srvIf,
                      pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::50" }],
                      "pd-pools": [
                        { prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 },
                      ],
                    },
                  ],
                  ...common(bed, who, 6, so, script),
                },
              }),
            );
            return config;
          },
          async (who, server) => {
            const out = outOf(who);
            // A real client: obtain, renew at T1, release.
            const dh = new Dhclient6(bed, cliNs, cliIf);
            await waitHook(bed, out, "leases6_committed", 1);
            await waitHook(bed, out, "lease6_renew", 1, 15_000);
            await dh.release();
            await waitHook(bed, out, "lease6_release", 1);
            spawnSync("rm", ["-f", dh.leaseFile]);
            // The scripted client A: an address, rebound, declined.
            const client = { family: 6, iface: cliIf };
            craft(bed, cliNs, {
              ...client,
              duid: "000300010200005e00a0",
              xid: 0x3000,
              steps: ["solicit-request", "rebind", "decline"],
            });
            await waitHook(bed, out, "lease6_decline", 1);
            // B: an address and a prefix, left to expire.
            craft(bed, cliNs, {
              ...client,
              duid: "000300010200005e00b0",
              xid: 0x4000,
              pd: true,
              // Through a relay agent with interface-id, remote-id and subscriber-id.
              relay: { link: "2001:db8:1::fe", peer: "fe80::b0" },
              steps: ["solicit-request"],
            });
            await waitHook(bed, out, "lease6_recover", 1);
            await waitHook(bed, out, "lease6_expire", 2);
            await new Promise((r) => setTimeout(r, 1500));
            await server.stop();
            return readScriptRuns(out);
          },
        );
        const dhclientQuery = (r: Run) =>
          r.env.QUERY6_CLIENT_ID?.startsWith("00:03:00:01:02:00:5e:00:00:02") === true;
        const differences: Difference[] = [
          CLTT,
          {
            name: /^QUERY6_LOCAL_PORT$/,
            reason:
              "Kea 2.2 never sets the local port of a received DHCPv6 packet (its UDP socket " +
              "filter leaves it 0); Nestor gives the port the query came to, 547 (README)",
          },
          {
            name: /^QUERY6_TXID$/,
            reason: "dhclient picks a random transaction id",
            when: dhclientQuery,
          },
        ];
        // Kea 2.2 exports no relay option of a DHCPv6 query (later versions add 18, 37, 38);
        // the relayed REQUEST is there, and neither server gives such a variable.
        const relayedRun = runs.kea.find((r) => r.env.QUERY6_REMOTE_PORT === "547");
        assert.ok(relayedRun !== undefined, "Kea ran the script for the relayed REQUEST");
        for (const r of [...runs.kea, ...runs.nestor]) {
          assert.deepEqual(
            Object.keys(r.env).filter((k) => k.startsWith("QUERY6_OPTION")),
            [],
            r.hook,
          );
        }
        assertSameRuns(
          t,
          runs,
          [
            "leases6_committed",
            "lease6_renew",
            "lease6_rebind",
            "lease6_release",
            "lease6_decline",
            "lease6_expire",
            "lease6_recover",
          ],
          differences,
        );
      } finally {
        await bed.close();
      }
    },
  );
});
