/**
 * offer-lifetime (Kea 2.6; Kea 2.2, the reference elsewhere, does not have it): nestor-dhcp4 and
 * a real client (busybox udhcpc) on one link. The DISCOVER's lease is in the lease file with the
 * offer lifetime before the REQUEST's row with the valid lifetime, for the same address, and the
 * client configures that address.
 *
 *   client ns [veth, udhcpc] ---- [veth 198.51.100.1/24] server ns: nestor-dhcp4
 *
 * Needs root, iproute2 and udhcpc (Debian: udhcpc).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { Udhcpc } from "./lib/clients.ts";
import { addressOn, requirePrerequisites, TestBed } from "./lib/netns.ts";
import { leaseRow, readLeaseRows, ServerConfig, startServer } from "./lib/nestor.ts";

const MAC = "02:00:00:00:0d:01";

test(
  "offer-lifetime: the OFFER's lease is stored with the offer lifetime, then the ACK's",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "udhcpc", debianPackage: "udhcpc" },
    ]);
    const bed = new TestBed("offer-lifetime with udhcpc");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientNs, role: "c", mac: MAC },
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [serverIf],
        subnets: [{ id: 1, subnet: "198.51.100.0/24", pool: "198.51.100.10 - 198.51.100.50" }],
        global: { "offer-lifetime": 30 },
      });
      await startServer(bed, serverNs, config);
      new Udhcpc(bed, clientNs, clientIf);
      const address = await addressOn(bed, clientNs, clientIf, "198.51.100.");
      const acked = await leaseRow(
        bed,
        config.leaseFile,
        "the ACK's lease",
        (r) => r.hwaddr === MAC && r.validLifetime === 600,
      );
      assert.equal(acked.address, address);
      const rows = readLeaseRows(config.leaseFile).filter((r) => r.hwaddr === MAC);
      // The offer's row first, same address, the offer lifetime.
      assert.equal(rows[0]!.address, address);
      assert.equal(rows[0]!.validLifetime, 30);
      assert.ok(rows.findIndex((r) => r.validLifetime === 600) > 0, "the ACK's row comes after");
    } finally {
      await bed.close();
    }
  },
);
