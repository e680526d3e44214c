// store-extended-info: the query's relay information in the lease's user context, in Kea 2.2's
// layout (the side-by-side proof against Kea is test/e2e/extended-info-kea.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DHO } from "../../../../src/dhcp/constants.ts";
import { Option } from "../../../../src/dhcp/option.ts";
import { RelayInfo } from "../../../../src/dhcp/pkt6.ts";
import {
  extendedInfo4,
  extendedInfo6,
  withExtendedInfo,
} from "../../../../src/dhcpsrv/leases/extended-info.ts";
import { config4, exchange, query4, server4, T } from "../../../helpers/dhcp4.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { M, config6, exchange6, query6, server6 } from "../../../helpers/dhcp6.ts";
import { LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";

const rai = (...subs: [number, string][]): Option => {
  const o = new Option(4, DHO.DHCP_AGENT_OPTIONS);
  for (const [code, hex] of subs) o.addOption(new Option(4, code, Buffer.from(hex, "hex")));
  return o;
};

test("v4: option 82's payload as upper-case hex, its sub-options in code order", () => {
  assert.deepEqual(extendedInfo4(rai([2, "aabb"], [1, "0102"])), {
    "relay-agent-info": "0x01020102" + "0202AABB",
  });
  // Unparsed bytes are read as sub-options too.
  const raw = new Option(4, DHO.DHCP_AGENT_OPTIONS, Buffer.from("0501ff0101aa", "hex"));
  assert.deepEqual(extendedInfo4(raw), { "relay-agent-info": "0x0101AA0501FF" });
  assert.equal(extendedInfo4(undefined), null);
});

test("v6: one entry per relay, outermost first; options only when the relay sent some", () => {
  const outer = new RelayInfo(12, 1, "2001:db8:1::1", "2001:db8:2::1");
  outer.options.push(new Option(6, 37, Buffer.from("00000009aa", "hex")));
  outer.options.push(new Option(6, 18, Buffer.from("eth0")));
  const inner = new RelayInfo(12, 0, "::", "fe80::2");
  assert.deepEqual(extendedInfo6([outer, inner]), {
    relays: [
      {
        hop: 1,
        link: "2001:db8:1::1",
        options: "0x001200046574683000250005" + "00000009AA",
        peer: "2001:db8:2::1",
      },
      { hop: 0, link: "::", peer: "fe80::2" },
    ],
  });
  assert.equal(extendedInfo6([]), null);
});

test("the ISC entry is replaced, the user context's other entries kept", () => {
  const before = { ISC: { old: 1 }, mine: "x" };
  const after = withExtendedInfo(before, { "relay-agent-info": "0x01" });
  assert.deepEqual(after, { ISC: { "relay-agent-info": "0x01" }, mine: "x" });
  assert.deepEqual(before, { ISC: { old: 1 }, mine: "x" });
  assert.equal(withExtendedInfo(before, null), before);
});

function relayed4(type: number, mac: string, requested: string, subs: [number, string][]): Buffer {
  const p = Pkt4.parse(
    query4(type, { mac, requested, serverId: "198.51.100.1", giaddr: "198.51.100.254" }),
  );
  if (subs.length > 0) p.addOption(rai(...subs));
  return p.pack();
}

test("dhcp4: store-extended-info at global level, off again in a subnet", async () => {
  const on = await server4(config4({ "store-extended-info": true }));
  const r = await exchange(
    on,
    relayed4(T.DHCPREQUEST, "02:00:00:00:00:01", "198.51.100.10", [[1, "706f7274"]]),
    "198.51.100.254",
    "198.51.100.1",
  );
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.deepEqual(on.leases.getLease4("198.51.100.10")!.userContext, {
    ISC: { "relay-agent-info": "0x0104706F7274" },
  });
  // Without option 82: nothing.
  await exchange(
    on,
    relayed4(T.DHCPREQUEST, "02:00:00:00:00:02", "198.51.100.11", []),
    "198.51.100.254",
    "198.51.100.1",
  );
  assert.equal(on.leases.getLease4("198.51.100.11")!.userContext, null);
  // The subnet's false wins over the global true.
  const off = await server4(
    config4({ "store-extended-info": true }, { "store-extended-info": false }),
  );
  await exchange(
    off,
    relayed4(T.DHCPREQUEST, "02:00:00:00:00:01", "198.51.100.10", [[1, "706f7274"]]),
    "198.51.100.254",
    "198.51.100.1",
  );
  assert.equal(off.leases.getLease4("198.51.100.10")!.userContext, null);
});

test("dhcp6: a relayed REQUEST's leases keep the relays; RENEW replaces them", async () => {
  const bed = await server6(config6({}, { "store-extended-info": true }));
  const relays = [{ link: "2001:db8:1::1", interfaceId: "port-1" }];
  await exchange6(bed, query6(M.DHCPV6_REQUEST, { relays }), "2001:db8:1::1");
  const [lease] = bed.leases
    .getLeases6ByDuid(Buffer.from("00010001aabbccdd020000000001", "hex"))
    .filter((l) => l.type === LeaseType6.IA_NA);
  assert.ok(lease);
  assert.deepEqual(lease.userContext, {
    ISC: {
      relays: [
        { hop: 0, link: "2001:db8:1::1", options: "0x00120006706F72742D31", peer: "fe80::1" },
      ],
    },
  });
  await exchange6(
    bed,
    query6(M.DHCPV6_RENEW, {
      relays: [{ link: "2001:db8:1::1" }],
      ias: [{ hints: [lease.address] }],
    }),
    "2001:db8:1::1",
  );
  assert.deepEqual(bed.leases.getLease6(LeaseType6.IA_NA, lease.address)!.userContext, {
    ISC: { relays: [{ hop: 0, link: "2001:db8:1::1", peer: "fe80::1" }] },
  });
});
