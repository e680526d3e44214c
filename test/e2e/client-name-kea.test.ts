/**
 * Client names with DNS updates off, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): option 12
 * (Host Name) and option 81 (Client FQDN) from the client, reservations with a hostname, and the
 * ddns-* / hostname-char-* settings; one configuration per scenario given unchanged to both
 * servers, the same relayed queries sent to each; the answers must be the same option by option,
 * and the lease files must hold the same host names.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4, then
 *                                                                   nestor-dhcp4 (UDP sockets)
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { scriptVariables, writeEnvScript } from "./lib/env-script.ts";
import { requireKeaHookLibrary, serverRelayLink } from "./lib/kea.ts";
import { readCsvRows } from "./lib/nestor.ts";
import { bin, requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const CLI = fileURLToPath(new URL("../../src/cli/nestor-dhcp4.ts", import.meta.url));
const RELAY = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";

const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");
const DISCOVER = 1;
const REQUEST = 3;
const PRL: [number, string] = [55, "01030f"];
const PRL12: [number, string] = [55, "01030f0c"];
const serverId: [number, string] = [54, "c6336401"];
const requested = (a: string): [number, string] => [
  50,
  Buffer.from(a.split(".").map(Number)).toString("hex"),
];
const host = (s: string): [number, string] => [12, hex(s)];
/** Option 81: flags, RCODE1, RCODE2 and the name, ASCII (E clear) or already wire-encoded. */
const fqdn = (flags: number, name: string, rcode = "0000"): [number, string] => [
  81,
  flags.toString(16).padStart(2, "0") + rcode + hex(name),
];
/** A domain name in wire format; a trailing "." ends it with the root label (full). */
const wire = (name: string): string => {
  const full = name.endsWith(".");
  const labels = (full ? name.slice(0, -1) : name).split(".").filter((l) => l !== "");
  let s = "";
  for (const l of labels) s += String.fromCharCode(l.length) + l;
  return full ? s + "\0" : s;
};
const mac = (n: number) => `02:00:00:00:01:${n.toString(16).padStart(2, "0")}`;

interface Scenario {
  name: string;
  globals: Record<string, unknown>;
  subnet?: Record<string, unknown>;
  reservations?: Record<string, unknown>[];
  queries: Query4[];
  /** Some of the host names Kea's lease file must hold (the scenario shows what it says). */
  expect: Record<string, string>;
}

/** A DISCOVER then a REQUEST for the offered address (filled in when sent: see `follow`). */
function dora(n: number, addr: string, options: [number, string][]): Query4[] {
  return [
    { type: DISCOVER, mac: mac(n), options: [...options, PRL] },
    { type: REQUEST, mac: mac(n), options: [...options, requested(addr), serverId, PRL] },
  ];
}

const SCENARIOS: Scenario[] = [
  {
    name: "defaults with a qualifying suffix",
    globals: { "ddns-qualifying-suffix": "example.org" },
    reservations: [
      { "hw-address": mac(40), hostname: "Reserved-Host" },
      { "hw-address": mac(41), hostname: "fixed.example.net" },
      { "hw-address": mac(42), hostname: "rsv" },
    ],
    queries: [
      ...dora(1, "198.51.100.10", [host("Laptop")]),
      ...dora(2, "198.51.100.11", [host("web.Example.com")]),
      ...dora(3, "198.51.100.12", [host("web.example.com.")]),
      ...dora(4, "198.51.100.13", [host("bad_name!x")]),
      ...dora(5, "198.51.100.14", [host(".")]),
      ...dora(6, "198.51.100.15", [host("  ")]),
      ...dora(7, "198.51.100.16", [host("trail.")]),
      ...dora(8, "198.51.100.17", [host(" spaced name ")]),
      ...dora(9, "198.51.100.18", [host("nul\0")]),
      ...dora(10, "198.51.100.19", [fqdn(0, "Host81")]),
      ...dora(11, "198.51.100.20", [fqdn(1, "host81s.Example.com.")]),
      ...dora(12, "198.51.100.21", [fqdn(5, wire("wire.example.com."))]),
      ...dora(13, "198.51.100.22", [fqdn(4, wire("part"))]),
      ...dora(14, "198.51.100.23", [fqdn(8, "")]),
      ...dora(15, "198.51.100.24", [fqdn(0, "both"), host("other")]),
      ...dora(16, "198.51.100.25", [fqdn(2, "o_flag", "ffff")]),
      ...dora(17, "198.51.100.26", [fqdn(0, "bad_chars!.example.com.")]),
      ...dora(18, "198.51.100.27", [fqdn(4, "")]),
      ...dora(19, "198.51.100.28", [fqdn(9, "ns")]),
      ...dora(40, "198.51.100.29", []),
      { type: DISCOVER, mac: mac(40), options: [PRL12] },
      { type: DISCOVER, mac: mac(40), options: [host("mine")] },
      { type: DISCOVER, mac: mac(40), options: [fqdn(1, "mine")] },
      ...dora(41, "198.51.100.30", [host("mine")]),
      ...dora(42, "198.51.100.31", [fqdn(5, wire("mine"))]),
      // Renewals: the name changes, or goes.
      { type: REQUEST, mac: mac(1), ciaddr: "198.51.100.10", options: [host("laptop2"), PRL] },
      { type: REQUEST, mac: mac(2), ciaddr: "198.51.100.11", options: [PRL] },
      // A NAK carries no name.
      { type: REQUEST, mac: mac(30), options: [host("nak"), requested("203.0.113.5"), PRL] },
      // INFORM: no name processing.
      { type: 8, mac: mac(31), ciaddr: "198.51.100.200", options: [host("inform"), PRL12] },
      // Names that are not domain names: an empty label, a label over 63 bytes.
      ...dora(20, "198.51.100.32", [host("a..b")]),
      ...dora(21, "198.51.100.33", [host("x".repeat(64))]),
      // Option 81 that Kea cannot read (truncated; a label running past the end; an empty
      // label): the query is dropped.
      { type: DISCOVER, mac: mac(22), options: [[81, "0000"], PRL] },
      { type: DISCOVER, mac: mac(23), options: [fqdn(4, "\x05ab"), PRL] },
      { type: DISCOVER, mac: mac(24), options: [fqdn(0, "a..b"), PRL] },
      // Escapes in an ASCII name, a name with upper case in a wire name.
      ...dora(25, "198.51.100.34", [fqdn(0, "we\\.ird")]),
      ...dora(26, "198.51.100.35", [fqdn(4, wire("UP.Case.example."))]),
    ],
    expect: {
      "198.51.100.10": "laptop2.example.org",
      "198.51.100.11": "",
      "198.51.100.12": "web.example.com.",
      "198.51.100.14": "myhost-198-51-100-14.example.org",
      "198.51.100.19": "host81.example.org.",
      "198.51.100.29": "reserved-host.example.org",
    },
  },
  {
    name: "POSIX classes in the character set, an upper-case prefix and suffix",
    globals: {
      "hostname-char-set": "[^[:alnum:]-]",
      "hostname-char-replacement": "_",
      "ddns-generated-prefix": "Gen",
      "ddns-qualifying-suffix": "Example.NET",
    },
    queries: [
      ...dora(1, "198.51.100.10", [host("a.b!c")]),
      ...dora(2, "198.51.100.11", [host("sole*")]),
      ...dora(3, "198.51.100.12", [fqdn(1, "f!q.sub")]),
      ...dora(4, "198.51.100.13", [host(".")]),
      ...dora(5, "198.51.100.14", [fqdn(0, "")]),
    ],
    expect: { "198.51.100.10": "a_b_c", "198.51.100.11": "sole_.Example.NET" },
  },
  {
    name: "when-not-present, a generated prefix, replacement characters",
    globals: {
      "ddns-replace-client-name": "when-not-present",
      "ddns-generated-prefix": "gen",
      "ddns-qualifying-suffix": "lan.",
      "hostname-char-set": "[^a-z.-]",
      "hostname-char-replacement": "x",
    },
    queries: [
      ...dora(1, "198.51.100.10", []),
      ...dora(2, "198.51.100.11", [host("Named_1")]),
      ...dora(3, "198.51.100.12", [fqdn(1, "Fq_1")]),
      ...dora(4, "198.51.100.13", [fqdn(1, "Fq_2.Dom.")]),
      ...dora(5, "198.51.100.14", [host("Ab_c.Dom9")]),
    ],
    expect: { "198.51.100.10": "gen-198-51-100-10.lan", "198.51.100.11": "xamedxx.lan" },
  },
  {
    name: "always replace, no sanitising",
    globals: { "ddns-replace-client-name": "always", "hostname-char-set": "" },
    subnet: { "ddns-generated-prefix": "sub" },
    queries: [
      ...dora(1, "198.51.100.10", []),
      ...dora(2, "198.51.100.11", [host("named")]),
      ...dora(3, "198.51.100.12", [fqdn(0, "fq")]),
    ],
    expect: { "198.51.100.11": "sub-198-51-100-11", "198.51.100.12": "sub-198-51-100-12." },
  },
  {
    name: "when-present",
    globals: { "ddns-replace-client-name": "when-present", "ddns-qualifying-suffix": "x.test" },
    queries: [
      ...dora(1, "198.51.100.10", []),
      ...dora(2, "198.51.100.11", [host("named")]),
      ...dora(3, "198.51.100.12", [fqdn(4, wire("fq"))]),
    ],
    expect: { "198.51.100.10": "", "198.51.100.11": "myhost-198-51-100-11.x.test" },
  },
];

/** The run_script library (Kea's, which Nestor loads as its own) running `script`. */
interface Hook {
  so: string;
  script: string;
}

function config(s: Scenario, leaseFile: string, ifname: string, hook: Hook): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "hooks-libraries": [{ library: hook.so, parameters: { name: hook.script } }],
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      ...s.globals,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          pools: [{ pool: "198.51.100.10 - 198.51.100.99" }],
          reservations: s.reservations ?? [],
          ...s.subnet,
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

/** The last row of each address in a lease file: address -> hostname. */
function hostnames(file: string): Record<string, string> {
  const rows = readCsvRows(file, ["address", "hostname"]);
  return Object.fromEntries(rows.map((r) => [r.address, r.hostname]));
}

/** The variables of the script's runs compared: the query's transaction id, every host name. */
const HOOK_NAMES = /HOSTNAME$|^QUERY4_TXID$/;

async function run(
  bed: TestBed,
  serverNs: string,
  relayNs: string,
  cmd: string,
  args: string[],
  ready: RegExp,
  queriesFile: string,
): Promise<(Answer4 | null)[]> {
  const proc = bed.spawn(cmd, serverNs, args[0]!, args.slice(1));
  await proc.waitForOutput(ready, 20_000);
  const out = bed.exec(relayNs, process.execPath, [RELAY, GIADDR, SERVER, queriesFile], 60_000);
  await new Promise((r) => setTimeout(r, 1000)); // the last scripts
  await proc.stop();
  return JSON.parse(out) as (Answer4 | null)[];
}

test(
  "client names: nestor-dhcp4 answers options 12 and 81 and stores host names as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "kea-dhcp4", debianPackage: "kea-dhcp4-server" },
    ]);
    const so = requireKeaHookLibrary("libdhcp_run_script.so", "kea-common");
    const bed = new TestBed("client names: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      const problems: string[] = [];
      for (const [n, s] of SCENARIOS.entries()) {
        const queriesFile = join(bed.dir, `queries${n}.json`);
        writeFileSync(queriesFile, JSON.stringify(s.queries));
        const keaLeases = join(bed.dir, `kea-leases${n}.csv`);
        const nestorLeases = join(bed.dir, `nestor-leases${n}.csv`);
        const hookOut = (who: string) => join(bed.dir, `hooks-${who}${n}`);
        const hook = (who: string): Hook => {
          const script = join(bed.dir, `hook-${who}${n}.sh`);
          writeEnvScript(script, hookOut(who));
          return { so, script };
        };
        const keaConfig = join(bed.dir, `kea${n}.json`);
        writeFileSync(keaConfig, config(s, keaLeases, serverIf, hook("kea")));
        const nestorConfig = join(bed.dir, `nestor${n}.json`);
        writeFileSync(nestorConfig, config(s, nestorLeases, serverIf, hook("nestor")));
        const kea = await run(
          bed,
          serverNs,
          relayNs,
          "kea-dhcp4",
          [
            "env",
            `KEA_PIDFILE_DIR=${bed.dir}`,
            `KEA_LOCKFILE_DIR=${bed.dir}`,
            bin("kea-dhcp4"),
            "-c",
            keaConfig,
          ],
          /DHCP4_STARTED/,
          queriesFile,
        );
        const nestor = await run(
          bed,
          serverNs,
          relayNs,
          "nestor-dhcp4",
          [process.execPath, CLI, "-c", nestorConfig],
          /nestor-dhcp4 \S+: serving \d+ subnet/,
          queriesFile,
        );
        if (process.env["CLIENT_NAME_DUMP"] !== undefined) {
          console.log(s.name, JSON.stringify(kea, null, 1), hostnames(keaLeases));
        }
        s.queries.forEach((q, i) => {
          try {
            assert.deepEqual(nestor[i], kea[i]);
          } catch {
            problems.push(
              `${s.name}: query ${i} ${JSON.stringify(q)}\n  kea:    ${JSON.stringify(kea[i])}\n  nestor: ${JSON.stringify(nestor[i])}`,
            );
          }
        });
        const kh = scriptVariables(hookOut("kea"), HOOK_NAMES);
        const nh = scriptVariables(hookOut("nestor"), HOOK_NAMES);
        assert.ok(
          kh.some((r) => /LEASES4_AT0_HOSTNAME=\S/.test(r)),
          `${s.name}: Kea's callouts saw names: ${kh.join("\n")}`,
        );
        try {
          assert.deepEqual(nh, kh);
        } catch {
          problems.push(
            `${s.name}: hook arguments\n  kea:    ${kh.join("\n          ")}\n  nestor: ${nh.join("\n          ")}`,
          );
        }
        const k = hostnames(keaLeases);
        for (const [a, h] of Object.entries(s.expect)) {
          assert.equal(k[a], h, `${s.name}: Kea's host name for ${a} (${JSON.stringify(k)})`);
        }
        try {
          assert.deepEqual(hostnames(nestorLeases), k);
        } catch {
          problems.push(
            `${s.name}: lease files\n  kea:    ${JSON.stringify(hostnames(keaLeases))}\n  nestor: ${JSON.stringify(hostnames(nestorLeases))}`,
          );
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    } finally {
      await bed.close();
    }
  },
);
