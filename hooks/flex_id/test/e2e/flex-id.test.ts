/**
 * flex_id with a real client: busybox udhcpc on a LAN with nestor-dhcp4, the library loaded under
 * Kea's file name, a reservation keyed by the flex-id its expression computes from the vendor
 * class the client sends (-V). The client with the reserved vendor class is configured with the
 * reserved address; another one with a pool address. (Kea 2.2 from Debian has no
 * libdhcp_flex_id.so, so there is no side-by-side comparison: the library's in-process tests are
 * in ../flex-id.test.ts.)
 *
 * Needs root, iproute2 and udhcpc (Debian: udhcpc).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { Udhcpc } from "../../../../test/e2e/lib/clients.ts";
import { ServerConfig, startServer } from "../../../../test/e2e/lib/nestor.ts";
import { requirePrerequisites, TestBed, waitFor } from "../../../../test/e2e/lib/netns.ts";

/** As a Kea configuration names it: Nestor loads hooks/flex_id for it. */
const KEA_LIBRARY = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_id.so";

test(
  "DHCPv4, udhcpc: the client whose vendor class is a reservation's flex-id gets the reserved address",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "udhcpc", debianPackage: "udhcpc" },
    ]);
    const bed = new TestBed("flex_id v4", "n4f");
    try {
      const serverNs = bed.namespace("srv");
      const lanNs = bed.namespace("lan");
      const br = bed.bridge(lanNs);
      const server = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: lanNs, role: "l", master: br },
      );
      const clients = ["02:66:6c:00:00:01", "02:66:6c:00:00:02"].map((mac, i) => {
        const ns = bed.namespace(`c${i}`);
        const l = bed.link({ ns, role: `c${i}`, mac }, { ns: lanNs, role: "l", master: br });
        return { ns, ifname: l.a };
      });
      const config = new ServerConfig(bed.dir, {
        interfaces: [server.a],
        subnets: [
          {
            id: 1,
            subnet: "198.51.100.0/24",
            pool: "198.51.100.10 - 198.51.100.50",
            extra: { reservations: [{ "flex-id": "'lab-7'", "ip-address": "198.51.100.77" }] },
          },
        ],
        global: {
          "host-reservation-identifiers": ["flex-id", "hw-address"],
          "hooks-libraries": [
            { library: KEA_LIBRARY, parameters: { "identifier-expression": "option[60].hex" } },
          ],
        },
      });
      await startServer(bed, serverNs, config);
      const vendors = ["lab-7", "lab-8"];
      clients.forEach((c, i) => {
        new Udhcpc(bed, c.ns, c.ifname, { args: ["-q", "-V", vendors[i]!], label: `udhcpc${i}` });
      });
      const addressOf = (i: number) =>
        waitFor(
          `an address on client ${i}`,
          () => {
            const a = bed.addresses(clients[i]!.ns, clients[i]!.ifname);
            return a.length > 0 ? a : undefined;
          },
          40_000,
          () => bed.describe(),
        );
      assert.deepEqual(await addressOf(0), ["198.51.100.77/24"]);
      const other = await addressOf(1);
      assert.match(other[0]!, /^198\.51\.100\.(1\d|[2-4]\d|50)\/24$/);
      // The lease file has the reserved address, for the first client's hardware address.
      await waitFor(
        "the reserved lease in the lease file",
        () => {
          if (!existsSync(config.leaseFile)) return undefined;
          const rows = readFileSync(config.leaseFile, "utf8").split("\n");
          return rows.some((r) => r.startsWith("198.51.100.77,02:66:6c:00:00:01,"))
            ? true
            : undefined;
        },
        10_000,
      );
    } finally {
      await bed.close();
    }
  },
);
