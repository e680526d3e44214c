/**
 * DHCPv6 message processing, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): one
 * configuration given unchanged to both servers, the same queries sent to each (by multicast, by
 * unicast to the server's global or link-local address, or through a relay agent), the answers
 * compared field by field (message type, IAs with their addresses or prefixes, lifetimes and
 * status codes, the top-level status code, every other option; the server identifier aside).
 *
 *   client ns [veth 2001:db8:1::100/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6, then
 *   (also the relay agent)                                              nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { keaPrerequisite, keaThenNestor, type Who } from "./lib/kea.ts";
import { requirePrerequisites, run, TestBed } from "./lib/netns.ts";
import type { DirectAnswer6, DirectQuery6 } from "./lib/proc6-queries.ts";

const SERVER = "2001:db8:1::2";
const CLIENT = "2001:db8:1::100";
const SERVER_MAC = "02:00:00:00:01:02";
/** A universal (not locally administered) MAC, so its link-local address carries it (RFC 7042). */
const CLIENT_MAC = "00:00:5e:00:53:64";
/** The server's link-local address (EUI-64 of SERVER_MAC). */
const SERVER_LL = "fe80::ff:fe00:102";
const CLIENT_LL = "fe80::200:5eff:fe00:5364";

const SOLICIT = 1;
const REQUEST = 3;
const CONFIRM = 4;
const RENEW = 5;
const REBIND = 6;
const RELEASE = 8;
const DECLINE = 9;
const INFORMATION_REQUEST = 11;

const DUID_A = "00020000098d0000000a";
const DUID_B = "00020000098d0000000b";
const DUID_C = "00020000098d0000000c";

/** Option 6 (ORO). */
function oro(...codes: number[]): [number, string] {
  return [6, codes.map((c) => c.toString(16).padStart(4, "0")).join("")];
}

interface Link {
  bed: TestBed;
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
}

/** The server's and the client's namespaces joined by a veth pair, addresses usable at once. */
function directLink(bed: TestBed): Link {
  const serverNs = bed.namespace("srv");
  const clientNs = bed.namespace("cli");
  bed.noDad(serverNs);
  bed.noDad(clientNs);
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s", mac: SERVER_MAC },
    { ns: clientNs, role: "c", mac: CLIENT_MAC },
  );
  bed.exec(serverNs, "ip", ["addr", "add", `${SERVER}/64`, "dev", serverIf, "nodad"]);
  bed.exec(clientNs, "ip", ["addr", "add", `${CLIENT}/64`, "dev", clientIf, "nodad"]);
  // Neighbours known in advance: no neighbour discovery delays an answer past the client's wait.
  for (const [ns, dev, addrs, mac] of [
    [serverNs, serverIf, [CLIENT, CLIENT_LL], CLIENT_MAC],
    [clientNs, clientIf, [SERVER, SERVER_LL], SERVER_MAC],
  ] as const) {
    for (const a of addrs) {
      bed.exec(ns, "ip", [
        "-6",
        "neigh",
        "replace",
        a,
        "lladdr",
        mac,
        "dev",
        dev,
        "nud",
        "permanent",
      ]);
    }
  }
  const ll = run("ip", ["-n", serverNs, "-6", "-o", "addr", "show", "dev", serverIf]);
  assert.match(ll, new RegExp(SERVER_LL), "the server's link-local address");
  return { bed, serverNs, clientNs, serverIf, clientIf };
}

const SENDER = fileURLToPath(new URL("./lib/proc6-queries.ts", import.meta.url));

/**
 * Kea, then Nestor, on the configuration `config(leaseFile)` makes, each sent `queries` from the
 * client's namespace: the answers of each, and each one's lease file.
 */
async function toBoth(
  link: Link,
  config: (leaseFile: string) => object,
  queries: DirectQuery6[],
): Promise<{ answers: Record<Who, (DirectAnswer6 | null)[]>; leases: Record<Who, string> }> {
  const { bed } = link;
  const file = join(bed.dir, `queries-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(queries));
  const leaseFiles = {} as Record<Who, string>;
  const answers = await keaThenNestor(
    bed,
    link.serverNs,
    6,
    (who) => {
      const leaseFile = join(bed.dir, `${who}-${Date.now()}-leases6.csv`);
      leaseFiles[who] = leaseFile;
      const c = join(bed.dir, `${who}.json`);
      writeFileSync(c, JSON.stringify(config(leaseFile)));
      return c;
    },
    async () => {
      const out = JSON.parse(
        bed.exec(link.clientNs, process.execPath, [SENDER, file], 60_000),
      ) as (DirectAnswer6 | null)[];
      await new Promise((r) => setTimeout(r, 300));
      return out;
    },
  );
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return { answers, leases: { kea: read(leaseFiles.kea), nestor: read(leaseFiles.nestor) } };
}

/** With PROC6_SHOW set, each server's answers on stdout. */
function show(answers: Record<Who, (DirectAnswer6 | null)[]>): void {
  if (process.env.PROC6_SHOW === undefined) return;
  for (const who of ["kea", "nestor"] as const) {
    answers[who].forEach((a, i) => console.log(who, i, JSON.stringify(a)));
  }
}

/** Each answer of Nestor's must be Kea's. */
function sameAnswers(
  queries: DirectQuery6[],
  answers: Record<Who, (DirectAnswer6 | null)[]>,
): void {
  queries.forEach((q, i) => {
    assert.deepEqual(
      answers.nestor[i],
      answers.kea[i],
      `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ\nKea: ${JSON.stringify(answers.kea[i])}\nNestor: ${JSON.stringify(answers.nestor[i])}`,
    );
  });
}

function baseConfig(
  leaseFile: string,
  interfaces: string[],
  extra: Record<string, unknown>,
): object {
  return {
    Dhcp6: {
      "interfaces-config": { interfaces },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
      ...extra,
    },
  };
}

test(
  "unicast: queries to the server's unicast address as Kea 2.2 answers them (RFC 8415 18.4)",
  { timeout: 180_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("proc6: unicast, nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const link = directLink(bed);
      const mc = `ff02::1:2%${link.clientIf}`;
      const llTo = `${SERVER_LL}%${link.clientIf}`;
      const subnet = {
        id: 1,
        subnet: "2001:db8:1::/64",
        interface: link.serverIf,
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
        "option-data": [{ name: "unicast", data: SERVER }],
      };
      const queries: DirectQuery6[] = [
        { to: SERVER, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }], options: [oro(12, 23)] },
        { to: llTo, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }], options: [oro(12, 23)] },
        { to: mc, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }], options: [oro(12, 23)] },
        {
          to: SERVER,
          type: REQUEST,
          duid: DUID_A,
          serverId: true,
          ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
          options: [oro(12)],
        },
        {
          to: SERVER,
          type: RENEW,
          duid: DUID_A,
          serverId: true,
          ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
          options: [oro(12)],
        },
        {
          to: llTo,
          type: RENEW,
          duid: DUID_A,
          serverId: true,
          ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
          options: [oro(12)],
        },
        { to: SERVER, type: REBIND, duid: DUID_A, ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }] },
        { to: SERVER, type: CONFIRM, duid: DUID_A, ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }] },
        { to: SERVER, type: INFORMATION_REQUEST, duid: DUID_A, ias: [], options: [oro(12)] },
        {
          to: SERVER,
          type: RELEASE,
          duid: DUID_A,
          serverId: true,
          ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
        },
        {
          to: SERVER,
          type: DECLINE,
          duid: DUID_B,
          serverId: true,
          ias: [{ iaid: 1, hints: ["2001:db8:1::11"] }],
        },
      ];
      // With the unicast address configured: answered as Kea answers, dropped where Kea drops.
      const configured = await toBoth(
        link,
        (lf) => baseConfig(lf, [`${link.serverIf}/${SERVER}`], { subnet6: [subnet] }),
        queries,
      );
      show(configured.answers);
      sameAnswers(queries, configured.answers);
      assert.equal(configured.answers.kea[0], null, "SOLICIT by unicast is dropped");
      assert.equal(configured.answers.kea[2]?.options["12"], "20010db8000100000000000000000002");
      assert.deepEqual(configured.answers.kea[3]?.ias[0]?.leases, ["2001:db8:1::10 3000 4000"]);

      // Without it: Kea does not listen on the global address at all; Nestor, which does, answers
      // REQUEST, RENEW, RELEASE and DECLINE sent there with UseMulticast (RFC 8415 18.4), and
      // the rest as Kea (the link-local address is served, SOLICIT... dropped).
      const plain = await toBoth(
        link,
        (lf) => baseConfig(lf, [link.serverIf], { subnet6: [subnet] }),
        queries,
      );
      show(plain.answers);
      const useMulticast = new Set([REQUEST, RENEW, RELEASE, DECLINE]);
      queries.forEach((q, i) => {
        if (q.to === SERVER && useMulticast.has(q.type)) {
          assert.equal(plain.answers.kea[i], null, `query ${i}: Kea does not hear it`);
          assert.deepEqual(plain.answers.nestor[i], {
            type: 7,
            ias: [],
            status: "5 Please use multicast",
            options: {},
          });
        } else {
          assert.deepEqual(plain.answers.nestor[i], plain.answers.kea[i], `query ${i}`);
        }
      });
      assert.deepEqual(plain.answers.kea[5]?.ias[0]?.leases, ["2001:db8:1::10 3000 4000"]);
    } finally {
      await bed.close();
    }
  },
);

test(
  "CONFIRM, RENEW and REBIND of addresses that are not the client's, and prefix delegation edge cases, as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("proc6: leases, nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const link = directLink(bed);
      const mc = `ff02::1:2%${link.clientIf}`;
      const subnets = [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: link.serverIf,
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
          // Four /64 prefixes.
          "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 62, "delegated-len": 64 }],
        },
        // Reached through a relay; no pd-pool at all.
        {
          id: 2,
          subnet: "2001:db8:2::/64",
          pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::1f" }],
        },
        // One address, no prefixes.
        {
          id: 3,
          subnet: "2001:db8:3::/64",
          pools: [{ pool: "2001:db8:3::10 - 2001:db8:3::10" }],
        },
      ];
      const OFF_LINK = "2001:db8:5::1";
      const relay = { link: "2001:db8:2::1", peer: "fe80::1234" };
      const na = (hints?: string[]) => ({ iaid: 1, hints });
      const pd = (hints?: string[]) => ({ pd: true, iaid: 2, hints });
      const DUID_D = "00020000098d0000000d";
      const DUID_E = "00020000098d0000000e";
      const DUID_F = "00020000098d0000000f";
      const DUID_G = "00020000098d00000010";
      const DUID_H = "00020000098d00000011";
      const relay3 = { link: "2001:db8:3::1", peer: "fe80::1234" };
      const relay9 = { link: "2001:db8:9::1", peer: "fe80::1234" };
      const queries: DirectQuery6[] = [
        // 0-2: A and B take an address and a prefix each.
        { to: mc, type: SOLICIT, duid: DUID_A, ias: [na(), pd()] },
        {
          to: mc,
          type: REQUEST,
          duid: DUID_A,
          serverId: true,
          ias: [na(["2001:db8:1::10"]), pd(["2001:db8:8::/64"])],
        },
        { to: mc, type: REQUEST, duid: DUID_B, serverId: true, ias: [na(), pd()] },
        // 3-6: CONFIRM: on link, partly off link, off link, no address at all.
        { to: mc, type: CONFIRM, duid: DUID_A, ias: [na(["2001:db8:1::10"])] },
        { to: mc, type: CONFIRM, duid: DUID_A, ias: [na(["2001:db8:1::10", OFF_LINK])] },
        { to: mc, type: CONFIRM, duid: DUID_A, ias: [na([OFF_LINK])] },
        { to: mc, type: CONFIRM, duid: DUID_A, ias: [na()] },
        // 7-8: A renews, then rebinds, naming its own leases, B's and an address off the link.
        {
          to: mc,
          type: RENEW,
          duid: DUID_A,
          serverId: true,
          ias: [
            na(["2001:db8:1::10", "2001:db8:1::11", OFF_LINK]),
            pd(["2001:db8:8::/64", "2001:db8:8:1::/64", "2001:db8:9::/64"]),
          ],
        },
        {
          to: mc,
          type: REBIND,
          duid: DUID_A,
          ias: [
            na(["2001:db8:1::10", "2001:db8:1::11", OFF_LINK]),
            pd(["2001:db8:8::/64", "2001:db8:8:1::/64", "2001:db8:9::/64"]),
          ],
        },
        // 9-12: C, which has no lease, renews and rebinds.
        { to: mc, type: RENEW, duid: DUID_C, serverId: true, ias: [na(["2001:db8:1::15"])] },
        { to: mc, type: REBIND, duid: DUID_C, ias: [na([OFF_LINK])] },
        { to: mc, type: REBIND, duid: DUID_C, ias: [na(["2001:db8:1::16"])] },
        { to: mc, type: RENEW, duid: DUID_C, serverId: true, ias: [pd(["2001:db8:9::/64"])] },
        // 13-14: a prefix hint outside the pools.
        { to: mc, type: SOLICIT, duid: DUID_D, ias: [pd(["2001:db8:9::/56"])] },
        { to: mc, type: REQUEST, duid: DUID_D, serverId: true, ias: [pd(["2001:db8:9::/64"])] },
        // 15-17: the prefix pool runs out.
        { to: mc, type: REQUEST, duid: DUID_E, serverId: true, ias: [pd()] },
        { to: mc, type: SOLICIT, duid: DUID_F, ias: [na(), pd()] },
        { to: mc, type: REQUEST, duid: DUID_F, serverId: true, ias: [na(), pd()] },
        // 18: a subnet without prefix pools.
        { to: SERVER, relay, type: SOLICIT, duid: DUID_F, ias: [na(), pd()] },
        { to: SERVER, relay, type: REQUEST, duid: DUID_F, serverId: true, ias: [na(), pd()] },
        // 20-21: RENEW and REBIND of a client without leases when no prefix is left.
        { to: mc, type: RENEW, duid: DUID_G, serverId: true, ias: [pd(["2001:db8:8::/64"])] },
        { to: mc, type: REBIND, duid: DUID_G, ias: [pd()] },
        // 22-24: the one-address pool: taken, then RENEW and REBIND from another client.
        { to: SERVER, relay: relay3, type: REQUEST, duid: DUID_G, serverId: true, ias: [na()] },
        {
          to: SERVER,
          relay: relay3,
          type: RENEW,
          duid: DUID_H,
          serverId: true,
          ias: [na(["2001:db8:3::10"]), pd()],
        },
        { to: SERVER, relay: relay3, type: REBIND, duid: DUID_H, ias: [na()] },
        // 25: a prefix length alone as the hint.
        { to: SERVER, relay, type: SOLICIT, duid: DUID_H, ias: [pd(["::/48"])] },
        { to: mc, type: SOLICIT, duid: DUID_H, ias: [pd(["::/48"])] },
        // 27: a link without a subnet: CONFIRM is not answered, RENEW gets NoBinding.
        { to: SERVER, relay: relay9, type: CONFIRM, duid: DUID_H, ias: [na(["2001:db8:9::1"])] },
        {
          to: SERVER,
          relay: relay9,
          type: RENEW,
          duid: DUID_H,
          serverId: true,
          ias: [na(["2001:db8:9::1"]), pd()],
        },
        { to: SERVER, relay: relay9, type: SOLICIT, duid: DUID_H, ias: [na(), pd()] },
        {
          to: SERVER,
          relay: relay9,
          type: REQUEST,
          duid: DUID_H,
          serverId: true,
          ias: [na(), pd()],
        },
        {
          to: SERVER,
          relay: relay9,
          type: REBIND,
          duid: DUID_H,
          ias: [na(["2001:db8:9::1"]), pd()],
        },
        {
          to: SERVER,
          relay: relay9,
          type: RELEASE,
          duid: DUID_H,
          serverId: true,
          ias: [na(["2001:db8:9::1"]), pd(["2001:db8:8::/64"])],
        },
        {
          to: SERVER,
          relay: relay9,
          type: DECLINE,
          duid: DUID_H,
          serverId: true,
          ias: [na(["2001:db8:9::1"])],
        },
        { to: SERVER, relay: relay9, type: INFORMATION_REQUEST, duid: DUID_H, ias: [] },
        // 35-: RELEASE and DECLINE of what is not the client's, or not in that IA.
        { to: mc, type: DECLINE, duid: DUID_A, serverId: true, ias: [na(["2001:db8:1::11"])] },
        {
          to: mc,
          type: DECLINE,
          duid: DUID_B,
          serverId: true,
          ias: [{ iaid: 9, hints: ["2001:db8:1::11"] }],
        },
        { to: mc, type: DECLINE, duid: DUID_B, serverId: true, ias: [na()] },
        { to: mc, type: RELEASE, duid: DUID_A, serverId: true, ias: [na(["2001:db8:1::11"])] },
        {
          to: mc,
          type: RELEASE,
          duid: DUID_B,
          serverId: true,
          ias: [
            { iaid: 9, hints: ["2001:db8:1::11"] },
            { pd: true, iaid: 9, hints: ["2001:db8:8:1::/64"] },
          ],
        },
        {
          to: mc,
          type: RELEASE,
          duid: DUID_A,
          serverId: true,
          ias: [na(), pd(["2001:db8:8:1::/64"])],
        },
        // Two addresses in one IA: the client's own first, then another client's.
        {
          to: mc,
          type: RELEASE,
          duid: DUID_A,
          serverId: true,
          ias: [
            na(["2001:db8:1::10", "2001:db8:1::11"]),
            pd(["2001:db8:8::/64", "2001:db8:8:1::/64"]),
          ],
        },
        { to: mc, type: RELEASE, duid: DUID_B, serverId: true, ias: [pd()] },
        // Released: A renews and gets its address back.
        { to: mc, type: RENEW, duid: DUID_A, serverId: true, ias: [na(["2001:db8:1::10"])] },
        // REQUEST naming another client's address and prefix, and an address off the link.
        {
          to: mc,
          type: REQUEST,
          duid: DUID_H,
          serverId: true,
          ias: [na(["2001:db8:1::11", OFF_LINK]), pd(["2001:db8:8::/64"])],
        },
        {
          to: mc,
          type: SOLICIT,
          duid: DUID_G,
          ias: [na(["2001:db8:1::11"]), pd(["2001:db8:8::/64"])],
        },
      ];
      const { answers, leases } = await toBoth(
        link,
        (lf) => baseConfig(lf, [`${link.serverIf}/${SERVER}`], { subnet6: subnets }),
        queries,
      );
      show(answers);
      sameAnswers(queries, answers);
      // What each lease file says last of each address (the expiry time aside, which depends on
      // when each server ran).
      const columns = [
        "duid",
        "valid_lifetime",
        "subnet_id",
        "pref_lifetime",
        "lease_type",
        "iaid",
        "prefix_len",
        "hwaddr",
        "state",
      ];
      const keaLeases = leaseColumns(leases.kea, columns);
      assert.ok(Object.keys(keaLeases).length > 10, leases.kea);
      assert.deepEqual(leaseColumns(leases.nestor, columns), keaLeases);
    } finally {
      await bed.close();
    }
  },
);

/** A DHCPv6 option in wire form, as hex: code, length, data. */
function wire(code: number, hex: string): string {
  return code.toString(16).padStart(4, "0") + (hex.length / 2).toString(16).padStart(4, "0") + hex;
}

const V6 = (a: string) =>
  a
    .split(":")
    .map((g) => g.padStart(4, "0"))
    .join("");
/** 2001:db8::N (no "::" in the middle needed by callers) as hex. */
function addrHex(last: string): string {
  return "20010db8" + "0".repeat(20) + last.padStart(4, "0");
}

test(
  "relay-supplied options (RFC 6422, option 66) and the ERP local domain name option as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("proc6: RSOO, nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const link = directLink(bed);
      const subnets = [
        {
          id: 2,
          subnet: "2001:db8:2::/64",
          pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::1f" }],
          "option-data": [
            { name: "nis-servers", data: "2001:db8::27" },
            { name: "erp-local-domain-name", data: "erp.example.org." },
          ],
        },
      ];
      // The ERP name "example.com." in wire form, then options 22, 27 and 31.
      const erp = wire(65, Buffer.from("076578616d706c6503636f6d00", "hex").toString("hex"));
      const rsoo: [number, string] = [
        66,
        wire(31, addrHex("31")) + erp + wire(27, addrHex("99")) + wire(22, addrHex("22")),
      ];
      const relay = { link: "2001:db8:2::1", peer: "fe80::1234", options: [rsoo] };
      const outerRsoo: [number, string] = [66, wire(27, addrHex("98")) + wire(22, addrHex("23"))];
      const plainRelay = { link: "2001:db8:2::1", peer: "fe80::1234" };
      const queries: DirectQuery6[] = [
        // 65 (always relay-supplied) and 22 (enabled) echoed; 27 is the server's (asked for);
        // 31 is not enabled.
        { to: SERVER, relay, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }], options: [oro(27)] },
        // 27 not asked for: the relay's is echoed.
        { to: SERVER, relay, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }] },
        // 65 asked for: the server's.
        {
          to: SERVER,
          relay,
          type: REQUEST,
          duid: DUID_A,
          serverId: true,
          ias: [{ iaid: 1 }],
          options: [oro(27, 65)],
        },
        { to: SERVER, relay, type: INFORMATION_REQUEST, duid: DUID_A, ias: [] },
        {
          to: SERVER,
          relay,
          type: CONFIRM,
          duid: DUID_A,
          ias: [{ iaid: 1, hints: ["2001:db8:2::10"] }],
        },
        // Two relays: the RSOO of the one closest to the client wins (its 22 and 27).
        {
          to: SERVER,
          relay: [relay, { link: "2001:db8:7::1", peer: "2001:db8:2::1", options: [outerRsoo] }],
          type: SOLICIT,
          duid: DUID_B,
          ias: [{ iaid: 1 }],
        },
        // No RSOO: the server's own options only.
        {
          to: SERVER,
          relay: plainRelay,
          type: INFORMATION_REQUEST,
          duid: DUID_A,
          ias: [],
          options: [oro(65)],
        },
      ];
      const { answers } = await toBoth(
        link,
        (lf) =>
          baseConfig(lf, [`${link.serverIf}/${SERVER}`], {
            subnet6: subnets,
            "relay-supplied-options": ["22", "nis-servers"],
          }),
        queries,
      );
      show(answers);
      sameAnswers(queries, answers);
      const kea = answers.kea;
      assert.equal(kea[0]?.options["65"], "076578616d706c6503636f6d00", "ERP from the relay");
      assert.equal(kea[0]?.options["22"], addrHex("22"));
      assert.equal(kea[0]?.options["27"], V6("2001:db8:0:0:0:0:0:27"));
      assert.equal(kea[0]?.options["31"], undefined);
      assert.equal(kea[1]?.options["27"], addrHex("99"));
      assert.equal(kea[2]?.options["65"], "03657270076578616d706c65036f726700", "the server's ERP");
      assert.equal(kea[5]?.options["22"], addrHex("22"), "the inner relay's");
      assert.equal(kea[5]?.options["27"], addrHex("99"), "the inner relay's");
    } finally {
      await bed.close();
    }
  },
);

/** Lease file rows by address, the last one for each: the columns named (space-separated). */
function leaseColumns(csv: string, names: readonly string[]): Record<string, string> {
  const [header, ...rows] = csv.trim().split("\n");
  const cols = header!.split(",");
  const at = (name: string) => cols.indexOf(name);
  const out: Record<string, string> = {};
  for (const row of rows) {
    const f = row.split(",");
    out[f[at("address")]!] = names.map((c) => f[at(c)]).join(" ");
  }
  return out;
}

/** The hardware address columns (and who the lease is for). */
function hwaddrColumns(csv: string): Record<string, string> {
  return leaseColumns(csv, ["duid", "iaid", "hwaddr", "hwtype", "hwaddr_source"]);
}

test(
  "mac-sources: the client's MAC from its DUID, its link-local address, relay options, as Kea 2.2",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("proc6: mac-sources, nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const link = directLink(bed);
      const mc = `ff02::1:2%${link.clientIf}`;
      const subnets = [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: link.serverIf,
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
          // The direct client's MAC, as its link-local address shows it.
          reservations: [{ "hw-address": CLIENT_MAC, "ip-addresses": ["2001:db8:1::99"] }],
        },
        {
          id: 2,
          subnet: "2001:db8:2::/64",
          pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::1f" }],
          reservations: [{ "hw-address": "00:00:5e:00:53:bb", "ip-addresses": ["2001:db8:2::bb"] }],
        },
      ];
      const DUID_LLT = "000100010000000100005e005301";
      const EUI64_PEER = "fe80::200:5eff:fe00:53aa";
      const clientLinkAddr: [number, string] = [79, "0001" + "00005e0053bb"];
      const remoteId: [number, string] = [37, "0000118b" + "00005e0053cc"];
      const cmts: [number, string] = [17, "0000118b" + wire(1026, "00005e0053dd")];
      const modem: [number, string] = [17, "0000118b" + wire(36, "00005e0053ee")];
      const relayed = (
        n: number,
        peer: string,
        options: [number, string][],
        clientOptions: [number, string][] = [],
      ): DirectQuery6 => ({
        to: SERVER,
        relay: { link: "2001:db8:2::1", peer, options },
        type: REQUEST,
        duid: `00020000098d000000${(0x20 + n).toString(16)}`,
        serverId: true,
        ias: [{ iaid: n }],
        options: clientOptions,
      });
      const queries: DirectQuery6[] = [
        // Direct, DUID-EN: the MAC of the link-local source address.
        { to: mc, type: SOLICIT, duid: DUID_A, ias: [{ iaid: 1 }] },
        { to: mc, type: REQUEST, duid: DUID_A, serverId: true, ias: [{ iaid: 1 }] },
        // Direct, DUID-LLT: the DUID's MAC first.
        { to: mc, type: REQUEST, duid: DUID_LLT, serverId: true, ias: [{ iaid: 2 }] },
        // Relayed: the peer address, the client link-layer address option, remote-id, the
        // CMTS's and the modem's vendor options, each alone and all together.
        relayed(1, EUI64_PEER, []),
        relayed(2, "fe80::1", [clientLinkAddr]),
        relayed(3, "fe80::1", [remoteId]),
        relayed(4, "fe80::1", [cmts]),
        relayed(5, "fe80::1", [], [modem]),
        relayed(6, EUI64_PEER, [clientLinkAddr, remoteId, cmts], [modem]),
        relayed(7, "fe80::1", [clientLinkAddr, remoteId, cmts], [modem]),
        // Client 3 renews through a relay that now gives its MAC in option 79 (and client 4
        // rebinds with none): what the lease keeps.
        { ...relayed(3, "fe80::1", [[79, "0001" + "00005e0053ff"]]), type: RENEW },
        { ...relayed(4, "fe80::1", []), type: REBIND, serverId: false },
      ];
      const variants: (string[] | undefined)[] = [
        undefined,
        ["duid"],
        ["client-link-addr-option", "remote-id", "ipv6-link-local"],
        ["docsis-modem", "rfc4649", "docsis-cmts"],
        ["raw", "subscriber-id"],
      ];
      for (const sources of variants) {
        const { answers, leases } = await toBoth(
          link,
          (lf) =>
            baseConfig(lf, [`${link.serverIf}/${SERVER}`], {
              subnet6: subnets,
              ...(sources === undefined ? {} : { "mac-sources": sources }),
            }),
          queries,
        );
        show(answers);
        sameAnswers(queries, answers);
        const kea = hwaddrColumns(leases.kea);
        if (process.env.PROC6_SHOW !== undefined) console.log(JSON.stringify(sources), kea);
        assert.deepEqual(
          hwaddrColumns(leases.nestor),
          kea,
          `mac-sources ${JSON.stringify(sources)}`,
        );
        // One lease per REQUEST: two direct clients, seven relayed.
        assert.equal(Object.keys(kea).length, 9, JSON.stringify(kea));
      }
    } finally {
      await bed.close();
    }
  },
);
