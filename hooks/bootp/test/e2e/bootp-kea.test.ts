/**
 * The bootp library end to end, against Kea 2.2's own libdhcp_bootp.so:
 *
 *   client ns [veth, scapy BOOTP client / udhcpc] ---- [veth 198.51.100.1/24] server ns
 *
 * One configuration file, naming Kea's `libdhcp_bootp.so` in `hooks-libraries`, is given first to
 * Debian's kea-dhcp4 (which loads its shared object) and then, unchanged, to nestor-dhcp4 (which
 * loads hooks/bootp in its place). The same BOOTP requests, built and sent by scapy from
 * 0.0.0.0:68 to 255.255.255.255:67, go to each; the replies captured in the client namespace are
 * compared field by field and option by option, and so are the leases each server wrote to its
 * lease file. Then udhcpc, a DHCP client, gets an ordinary lease from nestor-dhcp4 with the
 * library loaded.
 *
 * Needs root, iproute2, kea-dhcp4-server (kea-dhcp4 and its hooks directory), python3-scapy
 * (run as /usr/bin/python3) and udhcpc; a missing one fails the test and says what to install.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Udhcpc } from "../../../../test/e2e/lib/clients.ts";
import { CLI, readLeaseRows, type LeaseRow } from "../../../../test/e2e/lib/nestor.ts";
import {
  bin,
  requirePrerequisites,
  TestBed,
  waitFor,
  type Proc,
} from "../../../../test/e2e/lib/netns.ts";
import { optionCodes, parseWire, type WireReply } from "../wire.ts";

const SCAPY_CLIENT = fileURLToPath(new URL("./bootp_client.py", import.meta.url));
const PYTHON = "/usr/bin/python3";
const INFINITY = 0xffffffff;

const MAC_CLIENT = "02:42:b0:07:00:01";
const MAC_RESERVED = "02:42:b0:07:00:02";
const MAC_SECOND = "02:42:b0:07:00:03";

/** Kea's hooks directory holding libdhcp_bootp.so, found at run time (multiarch path). */
function keaBootpLibrary(): string | null {
  const dpkg = spawnSync("dpkg", ["-L", "kea-dhcp4-server", "kea-common"], { encoding: "utf8" });
  const listed = (dpkg.stdout ?? "").split("\n").filter((l) => l.endsWith("/libdhcp_bootp.so"));
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  const candidates = [
    ...listed,
    `/usr/lib/${arch}-linux-gnu/kea/hooks/libdhcp_bootp.so`,
    "/usr/lib/kea/hooks/libdhcp_bootp.so",
    "/usr/local/lib/kea/hooks/libdhcp_bootp.so",
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

function prerequisites(): { library: string } {
  requirePrerequisites([
    { program: "ip", debianPackage: "iproute2" },
    { program: "kea-dhcp4", debianPackage: "kea-dhcp4-server" },
    { program: "udhcpc", debianPackage: "udhcpc" },
  ]);
  const scapy = spawnSync(PYTHON, ["-c", "import scapy.all"], { encoding: "utf8" });
  if (scapy.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import scapy: install with: apt-get install -y python3-scapy\n${scapy.stderr}`,
    );
  }
  const library = keaBootpLibrary();
  if (library === null) {
    throw new Error(
      "Kea's libdhcp_bootp.so not found: install with: apt-get install -y kea-dhcp4-server",
    );
  }
  return { library };
}

/** The one configuration both servers run: Kea's syntax, Kea's library name. */
function writeConfig(file: string, serverIf: string, leaseFile: string, library: string): void {
  const config = {
    Dhcp4: {
      "interfaces-config": { interfaces: [serverIf] },
      "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
      "valid-lifetime": 600,
      "renew-timer": 300,
      "rebind-timer": 500,
      "hooks-libraries": [{ library }],
      "option-data": [
        { name: "domain-name-servers", data: "198.51.100.53, 198.51.100.54" },
        { name: "domain-name", data: "bootp.example" },
      ],
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: [{ pool: "198.51.100.10 - 198.51.100.50" }],
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          "next-server": "198.51.100.2",
          "boot-file-name": "boot/pxelinux.0",
          reservations: [{ "hw-address": MAC_RESERVED, "ip-address": "198.51.100.100" }],
        },
      ],
      loggers: [
        {
          name: "kea-dhcp4",
          output_options: [{ output: "stdout" }],
          severity: "INFO",
        },
      ],
    },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

interface Captured {
  xid: number;
  hex: string;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  sport: number;
  dport: number;
}

/** The requests of one round: a new client, the same client again, a reserved client, another. */
const QUERIES = [
  { mac: MAC_CLIENT, xid: 0x0b007001, secs: 4 },
  { mac: MAC_CLIENT, xid: 0x0b007002 },
  { mac: MAC_RESERVED, xid: 0x0b007003 },
  { mac: MAC_SECOND, xid: 0x0b007004, options: [["name_server", "198.51.100.9"]] },
];

function scapyRound(bed: TestBed, ns: string, iface: string): (Captured | null)[] {
  const out = bed.exec(
    ns,
    PYTHON,
    [SCAPY_CLIENT, JSON.stringify({ iface, queries: QUERIES })],
    60_000,
  );
  return (JSON.parse(out) as { replies: (Captured | null)[] }).replies;
}

/** Header fields that must be the same from both servers. */
const SAME_FIELDS = [
  "length",
  "op",
  "htype",
  "hlen",
  "hops",
  "xid",
  "secs",
  "flags",
  "ciaddr",
  "yiaddr",
  "siaddr",
  "giaddr",
  "chaddr",
  "sname",
  "file",
  "cookie",
] as const satisfies readonly (keyof WireReply)[];

/**
 * What may differ between the two servers' replies, and why. Empty: with a fresh pool both
 * allocators give the same addresses, both servers are 198.51.100.1, and the options are the
 * same. (Option 54, the server identifier, would differ between two hosts, but a BOOTP reply
 * does not carry it.)
 */
const MAY_DIFFER: readonly string[] = [];

function compareReplies(kea: WireReply, nestor: WireReply, what: string): void {
  for (const f of SAME_FIELDS) {
    if (MAY_DIFFER.includes(f)) continue;
    assert.deepEqual(nestor[f], kea[f], `${what}: ${f}`);
  }
  assert.deepEqual(optionCodes(nestor), optionCodes(kea), `${what}: option codes and order`);
  for (let i = 0; i < kea.options.length; i++) {
    const k = kea.options[i]!;
    if (MAY_DIFFER.includes(`option ${k.code}`)) continue;
    assert.equal(
      nestor.options[i]!.data.toString("hex"),
      k.data.toString("hex"),
      `${what}: option ${k.code} value`,
    );
  }
  assert.equal(nestor.padding.length, kea.padding.length, `${what}: padding after END`);
  assert.ok(nestor.padding.every((b) => b === 0) && kea.padding.every((b) => b === 0));
}

/** What a lease row says once the time it was written is taken out. */
function leaseShape(r: LeaseRow) {
  return {
    address: r.address,
    hwaddr: r.hwaddr,
    clientId: r.clientId,
    validLifetime: r.validLifetime,
    subnetId: r.subnetId,
    hostname: r.hostname,
    state: r.state,
  };
}

async function startKea(bed: TestBed, ns: string, config: string): Promise<Proc> {
  const kea = bed.spawn("kea-dhcp4", ns, "env", [
    `KEA_PIDFILE_DIR=${bed.dir}`,
    `KEA_LOCKFILE_DIR=${bed.dir}`,
    bin("kea-dhcp4"),
    "-c",
    config,
  ]);
  await kea.waitForOutput(/DHCP4_STARTED/, 20_000);
  return kea;
}

async function startNestor(bed: TestBed, ns: string, config: string): Promise<Proc> {
  const nestor = bed.spawn("nestor-dhcp4", ns, process.execPath, [CLI, "-c", config]);
  await nestor.waitForOutput(/nestor-dhcp4 \S+: serving \d+ subnet/, 20_000);
  return nestor;
}

test(
  "BOOTP requests get the same replies and the same leases from nestor-dhcp4 and Kea 2.2",
  { timeout: 240_000 },
  async () => {
    const { library } = prerequisites();
    const bed = new TestBed("bootp: nestor-dhcp4 and kea-dhcp4 answer scapy's BOOTP requests");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientNs, role: "c", mac: MAC_CLIENT },
      );
      const leaseFile = join(bed.dir, "leases4.csv");
      const config = join(bed.dir, "kea-dhcp4.conf");
      writeConfig(config, serverIf, leaseFile, library);

      // Kea first, on the configuration as written.
      const kea = await startKea(bed, serverNs, config);
      const keaStart = Math.floor(Date.now() / 1000);
      const keaReplies = scapyRound(bed, clientNs, clientIf);
      const keaRows = readLeaseRows(leaseFile);
      await kea.stop();
      assert.ok(kea.output.includes("BOOTP_LOAD"), `Kea loaded its bootp library:\n${kea.output}`);
      renameSync(leaseFile, join(bed.dir, "kea-leases4.csv"));

      // Then Nestor, on the very same file.
      const nestor = await startNestor(bed, serverNs, config);
      const nestorStart = Math.floor(Date.now() / 1000);
      const nestorReplies = scapyRound(bed, clientNs, clientIf);
      const nestorRows = readLeaseRows(leaseFile);
      assert.ok(nestor.output.includes("BOOTP_LOAD"), nestor.output);

      for (let i = 0; i < QUERIES.length; i++) {
        const what = `BOOTP request ${i + 1} (${QUERIES[i]!.mac})`;
        const k = keaReplies[i];
        const n = nestorReplies[i];
        assert.ok(k, `${what}: Kea answered\n${bed.describe()}`);
        assert.ok(n, `${what}: Nestor answered\n${bed.describe()}`);
        const kw = parseWire(Buffer.from(k.hex, "hex"));
        const nw = parseWire(Buffer.from(n.hex, "hex"));
        // What a BOOTP client needs, from both: a 300-octet BOOTREPLY without DHCP options.
        for (const w of [kw, nw]) {
          assert.equal(w.length, 300, `${what}: 300 octets`);
          assert.equal(w.op, 2);
          for (const code of [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61]) {
            assert.ok(!optionCodes(w).includes(code), `${what}: no option ${code}`);
          }
        }
        compareReplies(kw, nw, what);
        // Sent from the server's port to the client's port (addressing may use broadcast or
        // the new address; both deliver to the client, so only the ports are compared).
        assert.deepEqual([n.sport, n.dport], [k.sport, k.dport], `${what}: UDP ports`);
      }
      const yiaddrs = nestorReplies.map((r) => parseWire(Buffer.from(r!.hex, "hex")).yiaddr);
      assert.deepEqual(yiaddrs, [
        "198.51.100.10",
        "198.51.100.10",
        "198.51.100.100",
        "198.51.100.11",
      ]);

      // The leases: the same rows, infinite, written when the requests were answered.
      assert.deepEqual(
        nestorRows.map(leaseShape),
        keaRows.map(leaseShape),
        `lease files:\nKea:\n${JSON.stringify(keaRows)}\nNestor:\n${JSON.stringify(nestorRows)}`,
      );
      assert.ok(keaRows.length >= 3);
      for (const [rows, start] of [
        [keaRows, keaStart],
        [nestorRows, nestorStart],
      ] as const) {
        for (const r of rows) {
          assert.equal(r.validLifetime, INFINITY);
          const cltt = r.expire - r.validLifetime;
          assert.ok(Math.abs(cltt - start) <= 30, `cltt ${cltt} near ${start}`);
        }
      }

      // A DHCP client on the same server, library loaded, gets an ordinary lease.
      const udhcpcMac = "02:42:d0:07:00:09";
      bed.exec(clientNs, "ip", ["link", "set", clientIf, "address", udhcpcMac]);
      new Udhcpc(bed, clientNs, clientIf);
      const address = await waitFor(
        "udhcpc's address",
        () =>
          bed
            .addresses(clientNs, clientIf)
            .find((a) => a.startsWith("198.51.100."))
            ?.split("/")[0],
        30_000,
        () => bed.describe(),
      );
      const row = await waitFor(
        "udhcpc's lease row",
        () => readLeaseRows(leaseFile).findLast((r) => r.hwaddr === udhcpcMac),
        10_000,
      );
      assert.equal(row.address, address);
      assert.equal(row.validLifetime, 600);
      assert.ok(!yiaddrs.includes(address), "not one of the BOOTP clients' addresses");
    } finally {
      await bed.close();
    }
  },
);
