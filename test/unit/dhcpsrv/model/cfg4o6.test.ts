// DHCPv4-over-DHCPv6 subnet keys (4o6-interface, 4o6-interface-id, 4o6-subnet) and Kea 2.2's
// subnet selection for a forwarded query (CfgSubnets4::selectSubnet4o6).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DHCPMessageType, D6O, DHCPv6MessageType } from "../../../../src/dhcp/constants.ts";
import { ipv6FromString } from "../../../../src/dhcp/ioaddress.ts";
import { Option } from "../../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { Pkt4o6 } from "../../../../src/dhcp/pkt4o6.ts";
import { Pkt6, RelayInfo } from "../../../../src/dhcp/pkt6.ts";
import { findSubnet } from "../../../../src/dhcp4/processing/select.ts";
import type { Srv4 } from "../../../../src/dhcp4/exchange.ts";
import { ConfigError } from "../../../../src/util/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";
import { buildDhcp4Model, type Dhcp4Model } from "../../../../src/dhcpsrv/model/cfg4.ts";

function model(subnets: object[]): Dhcp4Model {
  const text = JSON.stringify({ Dhcp4: { subnet4: subnets } });
  return buildDhcp4Model(parseConfigText(text, 4, "kea.conf").config, "kea.conf");
}

function refusal(subnet: object): ConfigError {
  try {
    model([{ id: 1, subnet: "198.51.100.0/24", ...subnet }]);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the configuration to be refused");
}

/** A forwarded DISCOVER: from `src`, on `iface`, through a relay with `interfaceId` if given. */
function query(src: string, iface: string, interfaceId?: string, classes: string[] = []): Pkt4o6 {
  const p6 = Pkt6.create(DHCPv6MessageType.DHCPV6_DHCPV4_QUERY, 0);
  const p4 = Pkt4.create(DHCPMessageType.DHCPDISCOVER, 1);
  p4.setHWAddr(1, Buffer.from("0a0b0c0d0e0f", "hex"));
  p6.addOption(new Option(6, 87, p4.pack()));
  if (interfaceId !== undefined) {
    const r = new RelayInfo(
      DHCPv6MessageType.DHCPV6_RELAY_FORW,
      0,
      ipv6FromString("2001:db8:1::1"),
      ipv6FromString("fe80::1"),
    );
    r.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from(interfaceId)));
    p6.addRelayInfo(r);
  }
  p6.iface = iface;
  p6.remoteAddr = src;
  const q = new Pkt4o6(p4.pack(), p6);
  q.unpack();
  for (const c of classes) q.addClass(c);
  return q;
}

const selected = (m: Dhcp4Model, q: Pkt4o6): number | null =>
  findSubnet({ model: m } as unknown as Srv4, q)?.id ?? null;

describe("the 4o6 keys of a subnet4", () => {
  test("they are read as Kea: empty strings are none; an interface-id is its bytes", () => {
    const m = model([
      { id: 1, subnet: "198.51.100.0/24", "4o6-interface": "", "4o6-subnet": "" },
      {
        id: 2,
        subnet: "203.0.113.0/24",
        "4o6-interface": "eth1",
        "4o6-interface-id": "port-7",
        "4o6-subnet": "2001:db8:1::/48",
      },
    ]);
    assert.equal(m.subnets[0]!.dhcp4o6, null);
    const c = m.subnets[1]!.dhcp4o6!;
    assert.equal(c.iface, "eth1");
    assert.deepEqual(c.interfaceId, Buffer.from("port-7"));
    assert.equal(c.prefixLen, 48);
    assert.equal(c.inSubnet("2001:db8:1:ffff::5"), true);
    assert.equal(c.inSubnet("2001:db8:2::5"), false);
  });

  test("a 4o6-subnet that is not prefix6/length is refused at its key, with the reason", () => {
    const missing = refusal({ "4o6-subnet": "2001:db8::" });
    assert.equal(missing.path, "Dhcp4.subnet4[0].4o6-subnet");
    assert.match(missing.reason, /missing \/ in the 4o6-subnet parameter: '2001:db8::'/);
    assert.equal(missing.file, "kea.conf");
    assert.match(refusal({ "4o6-subnet": "2001:db8::/129" }).reason, /invalid prefix length/);
    assert.match(refusal({ "4o6-subnet": "2001:db8::/x" }).reason, /invalid prefix length/);
    assert.match(
      refusal({ "4o6-subnet": "198.51.100.0/24" }).reason,
      /'198\.51\.100\.0' in 4o6-subnet is not an IPv6 address/,
    );
  });
});

describe("the subnet of a forwarded query (Kea's selectSubnet4o6)", () => {
  const m = model([
    // No 4o6 key: never selected, even on its own interface.
    { id: 1, subnet: "198.18.0.0/24", interface: "eth0" },
    { id: 2, subnet: "198.18.1.0/24", "4o6-interface": "eth0" },
    { id: 3, subnet: "198.18.2.0/24", "4o6-interface-id": "port-7" },
    { id: 4, subnet: "198.18.3.0/24", "4o6-subnet": "2001:db8:4::/64", "client-class": "none" },
    { id: 5, subnet: "198.18.4.0/24", "4o6-subnet": "::/0" },
  ]);

  test("by the interface the DHCPv6 server received it on", () => {
    assert.equal(selected(m, query("fe80::1", "eth0")), 2);
  });

  test("by the relay's interface-id, before a later subnet's interface", () => {
    assert.equal(selected(m, query("2001:db8:9::1", "eth9", "port-7")), 3);
  });

  test("subnets are tried in order: an earlier subnet's interface wins over an interface-id", () => {
    assert.equal(selected(m, query("2001:db8:9::1", "eth0", "port-7")), 2);
  });

  test("by the source address in 4o6-subnet; client classes are not consulted (Kea 2.2)", () => {
    assert.equal(selected(m, query("2001:db8:4::77", "eth9")), 4);
  });

  test("nothing matches: no subnet (a 4o6-subnet of :: matches nothing, as in Kea)", () => {
    assert.equal(selected(m, query("2001:db8:9::1", "eth9")), null);
    assert.equal(selected(m, query("2001:db8:9::1", "eth9", "port-8")), null);
  });
});
