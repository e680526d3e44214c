// DHCPv4-over-DHCPv6 between the two servers: Kea 2.2's encapsulation (the DHCPv6 message with
// an ISC vendor option naming the interface, source address and port), its checks, the
// DHCPv4 query made of option 87, the DHCPV4-RESPONSE, and the ports each server uses.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DHCPMessageType, D6O, DHCPv6MessageType } from "../../../../src/dhcp/constants.ts";
import { Option } from "../../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { Pkt4o6 } from "../../../../src/dhcp/pkt4o6.ts";
import { Pkt6, RelayInfo } from "../../../../src/dhcp/pkt6.ts";
import { ipv6FromString } from "../../../../src/dhcp/ioaddress.ts";
import {
  Dhcp4o6Ipc,
  ipcPorts,
  packIpc,
  query4o6,
  unpackIpc,
} from "../../../../src/dhcpsrv/iface/dhcp4o6-ipc.ts";
import { LogManager } from "../../../../src/log/logger.ts";
import { freePortPair } from "../../../helpers/ipc-ports.ts";

const IFACES: Record<string, number> = { eth0: 7 };
const ifindex = (name: string): number | null => IFACES[name] ?? null;

/** A DHCPDISCOVER as a DHCPv4 client would put it in option 87. */
function discover(): Buffer {
  const p = Pkt4.create(DHCPMessageType.DHCPDISCOVER, 0x1234);
  p.setHWAddr(1, Buffer.from("0a0b0c0d0e0f", "hex"));
  return p.pack();
}

/** A DHCPV4-QUERY (flags 0x800000: unicast) with a client-id and the DISCOVER. */
function dhcpv4Query(): Pkt6 {
  const q = Pkt6.create(DHCPv6MessageType.DHCPV6_DHCPV4_QUERY, 0x800000);
  q.addOption(new Option(6, D6O.CLIENTID, Buffer.from("000300010a0b0c0d0e0f", "hex")));
  q.addOption(new Option(6, 87, discover()));
  q.iface = "eth0";
  q.remoteAddr = "fe80::a:b";
  q.remotePort = 546;
  return q;
}

/** The ISC vendor option Kea appends: enterprise 2495, then 60000, 60001, 60002. */
function iscVendor(iface: string, addr: string, port: number): Buffer {
  const name = Buffer.from(iface);
  const subs = Buffer.concat([
    Buffer.from([0xea, 0x60, 0, name.length]),
    name,
    Buffer.from([0xea, 0x61, 0, 16]),
    ipv6FromString(addr),
    Buffer.from([0xea, 0x62, 0, 2, port >> 8, port & 255]),
  ]);
  const head = Buffer.from([0, 17, 0, 4 + subs.length, 0, 0, 0x09, 0xbf]);
  return Buffer.concat([head, subs]);
}

describe("DHCPv4-over-DHCPv6 IPC encapsulation (Kea's Dhcp4o6IpcBase)", () => {
  test("a direct DHCPV4-QUERY goes with an ISC vendor option naming iface, address and port", () => {
    const q = dhcpv4Query();
    const plain = q.pack();
    const wire = packIpc(q);
    assert.deepEqual(wire, Buffer.concat([plain, iscVendor("eth0", "fe80::a:b", 546)]));
  });

  test("the other server reads the three back and removes the vendor option it added", () => {
    const wire = packIpc(dhcpv4Query());
    const p = unpackIpc(wire, ifindex);
    assert.equal(p.getType(), DHCPv6MessageType.DHCPV6_DHCPV4_QUERY);
    assert.equal(p.getTransid(), 0x800000);
    assert.equal(p.iface, "eth0");
    assert.equal(p.ifindex, 7);
    assert.equal(p.remoteAddr, "fe80::a:b");
    assert.equal(p.remotePort, 546);
    assert.equal(p.getNonCopiedOption(D6O.VENDOR_OPTS), undefined);
    assert.deepEqual(p.getNonCopiedOption(87)?.getData(), discover());
  });

  test("a relayed query keeps its relay layers; the vendor option is in the inner message", () => {
    const q = dhcpv4Query();
    const relay = new RelayInfo(
      DHCPv6MessageType.DHCPV6_RELAY_FORW,
      0,
      ipv6FromString("2001:db8:1::1"),
      ipv6FromString("fe80::a:b"),
    );
    relay.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from("port-7")));
    q.addRelayInfo(relay);
    q.remoteAddr = "2001:db8:1::1";
    q.remotePort = 547;
    const wire = packIpc(q);
    assert.equal(wire[0], DHCPv6MessageType.DHCPV6_RELAY_FORW);
    const p = unpackIpc(wire, ifindex);
    assert.equal(p.relayInfo.length, 1);
    assert.equal(p.relayInfo[0]!.linkAddr, "2001:db8:1::1");
    assert.deepEqual(p.getRelayOption(D6O.INTERFACE_ID, 0)?.getData(), Buffer.from("port-7"));
    assert.equal(p.remoteAddr, "2001:db8:1::1");
    assert.equal(p.remotePort, 547);
    assert.equal(p.getNonCopiedOption(D6O.VENDOR_OPTS), undefined);
  });

  test("a client's own ISC vendor option gets the sub-options, and keeps its own after", () => {
    const q = dhcpv4Query();
    const own = Buffer.from([0, 0, 0x09, 0xbf, 0, 5, 0, 1, 0x2a]);
    q.addOption(new Option(6, D6O.VENDOR_OPTS, own));
    const p = unpackIpc(packIpc(q), ifindex);
    assert.equal(p.getNonCopiedOptions(D6O.VENDOR_OPTS).length, 1);
    assert.deepEqual(p.getNonCopiedOption(D6O.VENDOR_OPTS)!.pack().subarray(4), own);
  });

  test("a message without the vendor option, its interface or its port is refused", () => {
    const q = dhcpv4Query();
    assert.throws(() => unpackIpc(q.pack(), ifindex), {
      name: "Dhcp4o6Error",
      message: "malformed packet (no ISC vendor option)",
    });
    q.iface = "eth9";
    assert.throws(() => unpackIpc(packIpc(q), ifindex), {
      message: "malformed packet (unknown interface eth9)",
    });
    // The vendor option with the interface and the address, not the port.
    const full = iscVendor("eth0", "fe80::1", 546);
    const noPort = Buffer.from(full.subarray(0, full.length - 6));
    noPort.writeUInt16BE(noPort.length - 4, 2);
    assert.throws(() => unpackIpc(Buffer.concat([dhcpv4Query().pack(), noPort]), ifindex), {
      message: "malformed packet (source port suboption missing or has incorrect type)",
    });
    assert.throws(() => unpackIpc(Buffer.from([20]), ifindex), /malformed packet/);
  });
});

describe("the DHCPv4 server's query and reply (Kea's Pkt4o6)", () => {
  test("the DHCPv4 message of option 87 is the query, with the DHCPv6 message attached", () => {
    const q = query4o6(packIpc(dhcpv4Query()), ifindex);
    assert.ok(q instanceof Pkt4o6);
    assert.equal(q.isDhcp4o6(), true);
    q.unpack();
    assert.equal(q.getType(), DHCPMessageType.DHCPDISCOVER);
    assert.equal(q.getHWAddr().toText(false), "0a:0b:0c:0d:0e:0f");
    assert.equal(q.iface, "eth0");
    assert.equal(q.remoteAddr, "fe80::a:b");
    assert.equal(q.getPkt6().getType(), DHCPv6MessageType.DHCPV6_DHCPV4_QUERY);
    // As Kea: option 87 leaves the DHCPv6 message once its content is the query.
    assert.equal(q.getPkt6().getNonCopiedOption(87), undefined);
    assert.equal(new Pkt4().isDhcp4o6(), false);
  });

  test("a message with no option 87, or two, is not a query", () => {
    const none = dhcpv4Query();
    none.delOption(87);
    assert.throws(() => query4o6(packIpc(none), ifindex), {
      message: "DHCPv4 message option not present",
    });
    const two = dhcpv4Query();
    two.addOption(new Option(6, 87, discover()));
    assert.throws(() => query4o6(packIpc(two), ifindex), {
      message: "more than one DHCPv4 message option",
    });
  });

  test("the DHCPV4-RESPONSE: the query's flags, its relays as RELAY-REPL, the reply in 87", () => {
    const q6 = dhcpv4Query();
    const relay = new RelayInfo(
      DHCPv6MessageType.DHCPV6_RELAY_FORW,
      1,
      ipv6FromString("2001:db8:1::1"),
      ipv6FromString("fe80::a:b"),
    );
    relay.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from("port-7")));
    relay.options.push(new Option(6, D6O.REMOTE_ID, Buffer.from("000009bf01", "hex")));
    q6.addRelayInfo(relay);
    q6.remoteAddr = "2001:db8:1::1";
    q6.remotePort = 547;
    const q = query4o6(packIpc(q6), ifindex);
    const reply = Buffer.from("reply bytes");
    const r = Pkt6.parse(Pkt4o6.withReply(q.response6(), reply).pack());
    assert.equal(r.getType(), DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE);
    assert.equal(r.getTransid(), 0x800000);
    assert.equal(r.relayInfo.length, 1);
    assert.equal(r.relayInfo[0]!.msgType, DHCPv6MessageType.DHCPV6_RELAY_REPL);
    assert.equal(r.relayInfo[0]!.hopCount, 1);
    assert.deepEqual(r.getRelayOption(D6O.INTERFACE_ID, 0)?.getData(), Buffer.from("port-7"));
    assert.equal(r.getRelayOption(D6O.REMOTE_ID, 0), undefined);
    assert.deepEqual(r.getNonCopiedOption(87)?.getData(), reply);
    assert.equal(r.getNonCopiedOption(D6O.CLIENTID), undefined);
    // Back to the DHCPv6 server with where the client is.
    const back = unpackIpc(packIpc(Pkt4o6.withReply(q.response6(), reply)), ifindex);
    assert.equal(back.remoteAddr, "2001:db8:1::1");
    assert.equal(back.remotePort, 547);
    assert.equal(back.iface, "eth0");
  });
});

describe("the IPC sockets (Kea's Dhcp4o6IpcBase::open)", () => {
  test("the DHCPv6 server binds the port and sends to the next, the DHCPv4 server the reverse", async () => {
    assert.deepEqual(ipcPorts(6767, 6), { local: 6767, remote: 6768 });
    assert.deepEqual(ipcPorts(6767, 4), { local: 6768, remote: 6767 });
    const port = await freePortPair();
    const log = new LogManager("test").getLogger("dhcpsrv");
    const got6: Buffer[] = [];
    const got4: Buffer[] = [];
    const v6 = new Dhcp4o6Ipc(6, log, (d) => got6.push(d));
    const v4 = new Dhcp4o6Ipc(4, log, (d) => got4.push(d));
    try {
      await v6.configure(port);
      await v4.configure(port);
      assert.equal(v6.open && v4.open, true);
      v6.send(Buffer.from("to v4"));
      v4.send(Buffer.from("to v6"));
      await until(() => got4.length > 0 && got6.length > 0);
      assert.deepEqual(got4, [Buffer.from("to v4")]);
      assert.deepEqual(got6, [Buffer.from("to v6")]);
      // 0 closes; sending then fails as Kea's does.
      await v4.configure(0);
      assert.throws(() => v4.send(Buffer.from("x")), /IPC socket is closed/);
    } finally {
      v6.close();
      v4.close();
    }
  });

  test("a port already taken refuses the configuration with the reason", async () => {
    const port = await freePortPair();
    const log = new LogManager("test").getLogger("dhcpsrv");
    const a = new Dhcp4o6Ipc(6, log, () => {});
    const b = new Dhcp4o6Ipc(6, log, () => {});
    try {
      await a.configure(port);
      await assert.rejects(b.configure(port), {
        message: new RegExp(`failed to open the DHCP4o6 socket on \\[::1\\]:${port}: .*EADDRINUSE`),
      });
      assert.equal(b.open, false);
    } finally {
      a.close();
      b.close();
    }
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), "timed out");
}
