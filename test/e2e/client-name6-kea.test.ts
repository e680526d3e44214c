/**
 * Client names with DNS updates off, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): option 39
 * (Client FQDN) from the client, reservations with a hostname, and the ddns-* / hostname-char-*
 * settings; one configuration per scenario given unchanged to both servers, the same relayed
 * queries sent to each; the answers must be the same lease by lease and option by option (the
 * server identifier aside), and the lease files must hold the same host names.
 *
 *   relay ns [veth 2001:db8:1::1/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6, then
 *                                                                   nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { scriptVariables, writeEnvScript } from "./lib/env-script.ts";
import {
  keaPrerequisite,
  keaThenNestor,
  requireKeaHookLibrary,
  serverRelayLink,
} from "./lib/kea.ts";
import { readCsvRows } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const RELAY = fileURLToPath(new URL("./lib/relay6-queries.ts", import.meta.url));
const RELAY_ADDR = "2001:db8:1::1";
const SERVER = "2001:db8:1::2";

const SOLICIT = 1;
const REQUEST = 3;
const RENEW = 5;
const REBIND = 6;
const ORO: [number, string] = [6, "00170018"];
const duid = (n: number) => `000300010200000006${n.toString(16).padStart(2, "0")}`;

/** A domain name in wire format; a trailing "." ends it with the root label (full). */
const wire = (name: string): string => {
  const full = name.endsWith(".");
  const labels = (full ? name.slice(0, -1) : name).split(".").filter((l) => l !== "");
  let s = "";
  for (const l of labels) s += String.fromCharCode(l.length) + l;
  return full ? s + "\0" : s;
};
/** Option 39: flags and the name, already in wire form. */
const fqdn = (flags: number, name: string): [number, string] => [
  39,
  flags.toString(16).padStart(2, "0") + Buffer.from(name, "latin1").toString("hex"),
];

/** SOLICIT then REQUEST of one IA_NA (iaid 1), with the same options. */
function sr(n: number, options: [number, string][], pd = false): Query6[] {
  const ias = pd ? [{ iaid: 1 }, { iaid: 2, pd: true }] : [{ iaid: 1 }];
  return [
    { type: SOLICIT, duid: duid(n), ias, options: [...options, ORO] },
    { type: REQUEST, duid: duid(n), serverId: true, ias, options: [...options, ORO] },
  ];
}

interface Scenario {
  name: string;
  globals: Record<string, unknown>;
  reservations?: Record<string, unknown>[];
  queries: Query6[];
  /** Some of the host names Kea's lease file must hold (the scenario shows what it says). */
  expect: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  {
    name: "defaults with a qualifying suffix",
    globals: { "ddns-qualifying-suffix": "example.org" },
    reservations: [
      { duid: duid(40), hostname: "Res6" },
      { duid: duid(41), hostname: "fixed.example.net" },
    ],
    queries: [
      ...sr(1, [fqdn(0, wire("Host6"))]),
      ...sr(2, [fqdn(1, wire("web.Example.com."))]),
      ...sr(3, [fqdn(4, "")]),
      // SOLICIT again, holding a lease, with an empty name.
      { type: SOLICIT, duid: duid(3), ias: [{ iaid: 1 }], options: [fqdn(0, ""), ORO] },
      ...sr(4, [fqdn(2, wire("bad_na!me"))]),
      ...sr(5, [fqdn(0, "")], true),
      ...sr(40, []),
      ...sr(41, [fqdn(1, wire("mine"))]),
      // Renewals: a new name, no name.
      {
        type: RENEW,
        duid: duid(1),
        serverId: true,
        ias: [{ iaid: 1, hints: ["2001:db8:1::11"] }],
        options: [fqdn(1, wire("renamed")), ORO],
      },
      {
        type: REBIND,
        duid: duid(2),
        ias: [{ iaid: 1, hints: ["2001:db8:1::13"] }],
        options: [ORO],
      },
      // A RENEW naming an address that is not the client's too: its own lease first, then the
      // other with lifetimes 0; the name is generated for the first address given.
      {
        type: RENEW,
        duid: duid(3),
        serverId: true,
        ias: [{ iaid: 1, hints: ["2001:db8:1::90", "2001:db8:1::15"] }],
        options: [fqdn(0, ""), ORO],
      },
      // Option 39 Kea cannot read: N and S both set; a label past the end.
      { type: SOLICIT, duid: duid(6), ias: [{ iaid: 1 }], options: [fqdn(5, wire("ns")), ORO] },
      { type: SOLICIT, duid: duid(7), ias: [{ iaid: 1 }], options: [fqdn(0, "\x09ab"), ORO] },
    ],
    expect: {
      "2001:db8:1::11/0": "renamed.example.org.",
      "2001:db8:1::13/0": "",
      "2001:db8:1::15/0": "myhost-2001-db8-1--15.example.org.",
      "2001:db8:8:100::/2": "",
      "2001:db8:1::1b/0": "Res6",
      "2001:db8:1::1d/0": "fixed.example.net.example.org.",
    },
  },
  {
    name: "always replace, a generated prefix, replacement characters",
    globals: {
      "ddns-replace-client-name": "always",
      "ddns-generated-prefix": "gen6",
      "ddns-qualifying-suffix": "lan",
      "hostname-char-set": "[^a-z.]",
      "hostname-char-replacement": "x",
    },
    queries: [...sr(1, []), ...sr(2, [fqdn(0, wire("named"))])],
    expect: { "2001:db8:1::11/0": "", "2001:db8:1::13/0": "gen6-2001-db8-1--13.lan." },
  },
  {
    name: "never replace, replacement characters",
    globals: { "hostname-char-set": "[^a-z.]", "hostname-char-replacement": "x" },
    queries: [...sr(1, [fqdn(1, wire("Ab_9"))]), ...sr(2, [fqdn(1, wire("x.Y_2.org."))])],
    expect: { "2001:db8:1::11/0": "abxx.", "2001:db8:1::13/0": "x.yxx.org." },
  },
];

/** The run_script library (Kea's, which Nestor loads as its own) running `script`. */
interface Hook {
  so: string;
  script: string;
}

function config(s: Scenario, leaseFile: string, ifname: string, hook: Hook): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/${SERVER}`] },
      "hooks-libraries": [{ library: hook.so, parameters: { name: hook.script } }],
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      ...s.globals,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": [RELAY_ADDR] },
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::ff" }],
          "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }],
          reservations: s.reservations ?? [],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

/** The last row of each lease in a lease file: "address/type" -> hostname. */
function hostnames(file: string): Record<string, string> {
  const rows = readCsvRows(file, ["address", "lease_type", "hostname"]);
  return Object.fromEntries(rows.map((r) => [`${r.address}/${r.lease_type}`, r.hostname]));
}

/** The variables of the script's runs compared: the query's transaction id, every host name. */
const HOOK_NAMES = /HOSTNAME$|^QUERY6_TXID$/;

test(
  "client names: nestor-dhcp6 answers option 39 and stores host names as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const so = requireKeaHookLibrary("libdhcp_run_script.so", "kea-common");
    const bed = new TestBed("client names v6: nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY_ADDR, 64);
      const problems: string[] = [];
      for (const [n, s] of SCENARIOS.entries()) {
        const queriesFile = join(bed.dir, `queries${n}.json`);
        writeFileSync(queriesFile, JSON.stringify(s.queries));
        const leaseFile = (who: string) => join(bed.dir, `${who}-leases6-${n}.csv`);
        const hookOut = (who: string) => join(bed.dir, `hooks-${who}${n}`);
        const answers = await keaThenNestor(
          bed,
          serverNs,
          6,
          (who) => {
            const file = join(bed.dir, `${who}${n}.json`);
            const script = join(bed.dir, `hook-${who}${n}.sh`);
            writeEnvScript(script, hookOut(who));
            writeFileSync(file, config(s, leaseFile(who), serverIf, { so, script }));
            return file;
          },
          async () => {
            const args = [RELAY, RELAY_ADDR, SERVER, queriesFile];
            const out = bed.exec(relayNs, process.execPath, args, 60_000);
            await new Promise((r) => setTimeout(r, 1000)); // the last scripts
            return JSON.parse(out) as (Answer6 | null)[];
          },
        );
        if (process.env["CLIENT_NAME_DUMP"] !== undefined) {
          console.log(s.name, JSON.stringify(answers.kea), hostnames(leaseFile("kea")));
        }
        s.queries.forEach((q, i) => {
          try {
            assert.deepEqual(answers.nestor[i], answers.kea[i]);
          } catch {
            problems.push(
              `${s.name}: query ${i} ${JSON.stringify(q)}\n  kea:    ${JSON.stringify(answers.kea[i])}\n  nestor: ${JSON.stringify(answers.nestor[i])}`,
            );
          }
        });
        const kh = scriptVariables(hookOut("kea"), HOOK_NAMES);
        const nh = scriptVariables(hookOut("nestor"), HOOK_NAMES);
        assert.ok(
          kh.some((r) => /LEASES6_AT0_HOSTNAME=\S/.test(r)),
          `${s.name}: Kea's callouts saw names: ${kh.join("\n")}`,
        );
        try {
          assert.deepEqual(nh, kh);
        } catch {
          problems.push(
            `${s.name}: hook arguments\n  kea:    ${kh.join("\n          ")}\n  nestor: ${nh.join("\n          ")}`,
          );
        }
        const k = hostnames(leaseFile("kea"));
        for (const [a, h] of Object.entries(s.expect)) {
          assert.equal(k[a], h, `${s.name}: Kea's host name for ${a} (${JSON.stringify(k)})`);
        }
        const m = hostnames(leaseFile("nestor"));
        try {
          assert.deepEqual(m, k);
        } catch {
          problems.push(
            `${s.name}: lease files\n  kea:    ${JSON.stringify(k)}\n  nestor: ${JSON.stringify(m)}`,
          );
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    } finally {
      await bed.close();
    }
  },
);
