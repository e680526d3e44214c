/**
 * Kea 2.2's iterative allocator and subnet choice as the e2e suite (test/e2e/proc4-kea.test.ts)
 * sees kea-dhcp4 make them: the pool of the subnet's last pick goes on, whatever pool a client's
 * class would allow first; a client's lease in another subnet is not offered again there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import { SERVER_ADDR, T, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const GIADDR = "198.51.100.254";
const GIADDR2 = "198.51.100.253";

function config(): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "valid-lifetime": 4000,
      "reservations-global": true,
      "client-classes": [{ name: "silver" }],
      reservations: [{ "hw-address": "02:00:00:00:50:01", "client-classes": ["silver"] }],
      subnet4: [
        {
          id: 2,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          pools: [
            { pool: "198.51.100.10 - 198.51.100.19", "client-class": "silver" },
            { pool: "198.51.100.20 - 198.51.100.21" },
          ],
        },
        {
          id: 3,
          subnet: "198.51.100.0/25",
          relay: { "ip-addresses": [GIADDR2] },
          pools: [{ pool: "198.51.100.20 - 198.51.100.29" }],
        },
      ],
    },
  });
}

const discover = (mac: string, giaddr = GIADDR, requested?: string) =>
  query4(T.DHCPDISCOVER, { mac, giaddr, ...(requested === undefined ? {} : { requested }) });

test("a client allowed in two pools continues in the pool of the subnet's last pick; past its end, the first allowed pool", async () => {
  const bed = await server4(config());
  const yiaddr = async (q: Buffer) => (await exchange(bed, q, GIADDR, SERVER_ADDR))!.pkt.yiaddr;
  assert.equal(await yiaddr(discover("02:00:00:00:70:01")), "198.51.100.20");
  // The silver client may use both pools: the open pool goes on (Kea 2.2), not the silver one.
  assert.equal(await yiaddr(discover("02:00:00:00:50:01")), "198.51.100.21");
  // The open pool has passed its end: the silver client starts over in its first allowed pool.
  assert.equal(await yiaddr(discover("02:00:00:00:50:01")), "198.51.100.10");
});

test("a client holding an address in one subnet is not offered nor given it in the subnet of the same addresses", async () => {
  const bed = await server4(config());
  const mac = "02:00:00:00:70:01";
  const sel = query4(T.DHCPREQUEST, {
    mac,
    giaddr: GIADDR,
    requested: "198.51.100.20",
    serverId: SERVER_ADDR,
  });
  assert.equal((await exchange(bed, sel, GIADDR, SERVER_ADDR))!.pkt.getType(), T.DHCPACK);
  const offer = await exchange(bed, discover(mac, GIADDR2, "198.51.100.20"), GIADDR2, SERVER_ADDR);
  assert.equal(offer!.pkt.yiaddr, "198.51.100.21");
  const there = query4(T.DHCPREQUEST, {
    mac,
    giaddr: GIADDR2,
    requested: "198.51.100.20",
    serverId: SERVER_ADDR,
  });
  assert.equal((await exchange(bed, there, GIADDR2, SERVER_ADDR))!.pkt.getType(), T.DHCPNAK);
  assert.equal(bed.leases.getLease4("198.51.100.20")!.subnetId, 2);
});

test("after a reconfiguration the allocator goes on in the pool of the subnet's last pick", async () => {
  const bed = await server4(config());
  const yiaddr = async (mac: string) =>
    (await exchange(bed, discover(mac), GIADDR, SERVER_ADDR))!.pkt.yiaddr;
  assert.equal(await yiaddr("02:00:00:00:70:01"), "198.51.100.20");
  const { config: parsed } = parseConfigText(config(), 4, "new.json");
  bed.srv.setModel(buildDhcp4Model(parsed, "new.json"));
  // The silver client may use both pools: still the open pool's next address, not .10.
  assert.equal(await yiaddr("02:00:00:00:50:01"), "198.51.100.21");
});
