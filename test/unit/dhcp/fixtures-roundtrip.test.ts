// Real packets (test/fixtures/wire: Kea 2.2, udhcpc, dhclient, dhcpcd, perfdhcp) must parse and
// pack back to the bytes the sender put on the wire, or to a canonical form stated here per
// packet, and what the parsed packet says must be what the sender meant.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  DuidType,
  Option6IA,
  Option6IAAddr,
  Option6IAPrefix,
  Pkt4,
  Pkt6,
  type Pkt,
} from "../../../src/dhcp/index.ts";
import { readPcap } from "../../fixtures/wire/extract.ts";
import { allVectors, bytes, vector, type WireVector } from "../../fixtures/wire/vectors.ts";

const VECTORS = allVectors();

function parse(v: WireVector): Pkt {
  return v.family === 4 ? Pkt4.parse(bytes(v)) : Pkt6.parse(bytes(v));
}
function parse4(name: string): Pkt4 {
  return Pkt4.parse(bytes(vector(name)));
}
function parse6(name: string): Pkt6 {
  return Pkt6.parse(bytes(vector(name)));
}

/**
 * The one canonical-form rule the captures need: these senders pad a DHCPv4 packet with zero
 * bytes after END up to 300 bytes, the minimum BOOTP message RFC 1542 section 2.1 asks clients
 * for (ISC dhclient always; udhcpc whenever its options are short; dhcpcd for its RELEASE).
 * pack() ends right after END, so the canonical form is the captured bytes cut after END, whose
 * length is given here; pack(300) restores the sender's padding exactly. Kea, perfdhcp and every
 * DHCPv6 sender need no rule: their packets pack back byte for byte.
 */
const PADDED_TO_300 = new Map<string, number>([
  ["udhcpc-07-release", 259],
  ["udhcpc-decline-01-discover", 280],
  ["udhcpc-decline-03-request", 292],
  ["udhcpc-decline-05-decline", 265],
  ["dhclient4-init-01-discover", 283],
  ["dhclient4-init-03-request", 295],
  ["dhclient4-reboot-01-request", 289],
  ["dhclient4-nak-01-request", 289],
  ["dhclient4-nak-03-discover", 283],
  ["dhclient4-nak-05-request", 295],
  ["dhclient4-release-01-release", 277],
  ["dhcpcd-11-release", 271],
]);

describe("captured packets survive unpack and pack", () => {
  test("the fixtures hold every sender, 86 packets in all", () => {
    const perSource = new Map<string, number>();
    for (const v of VECTORS) perSource.set(v.source, (perSource.get(v.source) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(perSource), {
      udhcpc: 7,
      dhclient4: 7,
      dhclient6: 5,
      dhcpcd: 6,
      perfdhcp4: 8,
      perfdhcp6: 12,
      kea4: 21,
      kea6: 20,
    });
  });

  test("every vector is, byte for byte, the UDP payload of the pcap frame its note names", () => {
    const pcaps = new Map<string, Map<number, string>>();
    for (const v of VECTORS) {
      const m = /frame (\d+) of (pcap\/[\w-]+\.pcap)$/.exec(v.note);
      assert.ok(m, `${v.name} names its frame`);
      const file = m[2]!;
      let frames = pcaps.get(file);
      if (!frames) {
        const data = readFileSync(new URL(`../../fixtures/wire/${file}`, import.meta.url));
        frames = new Map(
          readPcap(data, "02:4e:53:54:00:fe").map((d) => [d.frame, d.payload.toString("hex")]),
        );
        pcaps.set(file, frames);
      }
      assert.equal(frames.get(Number(m[1])), v.hex, v.name);
    }
    // And no pcap, and no DHCP payload in one, is missing from the vectors.
    const files = readdirSync(new URL("../../fixtures/wire/pcap/", import.meta.url));
    assert.deepEqual([...pcaps.keys()].sort(), files.map((f) => `pcap/${f}`).sort());
    const captured = [...pcaps.values()].reduce((n, frames) => n + frames.size, 0);
    assert.equal(captured, VECTORS.length);
  });

  for (const v of VECTORS) {
    const canonicalLength = PADDED_TO_300.get(v.name);
    if (canonicalLength === undefined) {
      test(`${v.name} (${v.source}) packs back byte for byte`, () => {
        const packed = parse(v).pack();
        assert.equal(packed.toString("hex"), v.hex);
      });
      continue;
    }
    test(`${v.name} (${v.source}) packs to its bytes up to END; pack(300) restores the padding`, () => {
      const wire = bytes(v);
      assert.equal(wire.length, 300);
      assert.equal(wire[canonicalLength - 1], 255, "END is the last byte of the canonical form");
      assert.ok(
        wire.subarray(canonicalLength).every((b) => b === 0),
        "only zeros follow END",
      );
      const packet = Pkt4.parse(wire);
      assert.equal(
        packet.pack().toString("hex"),
        wire.subarray(0, canonicalLength).toString("hex"),
      );
      assert.equal(packet.pack(300).toString("hex"), v.hex);
    });
  }

  test("the padding rule names only captured DHCPv4 client packets", () => {
    for (const name of PADDED_TO_300.keys()) {
      const v = vector(name);
      assert.equal(v.family, 4, name);
      assert.equal(v.direction, "client-to-server", name);
    }
  });
});

const V4_TYPES: Record<string, number> = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
};
const V6_TYPES: Record<string, number> = {
  solicit: 1,
  advertise: 2,
  request: 3,
  rebind: 6,
  reply: 7,
  release: 8,
  "information-request": 11,
};

/** "udhcpc-03-request" -> step "udhcpc", frame 3, type "request". */
function nameParts(name: string): { step: string; frame: number; type: string } {
  const m = /^(.*)-(\d\d)-(.*)$/.exec(name);
  if (!m) throw new Error(`unexpected vector name ${name}`);
  return { step: m[1]!, frame: Number(m[2]), type: m[3]! };
}

describe("what the parsed packets say", () => {
  test("every packet has the message type the capture shows", () => {
    for (const v of VECTORS) {
      const { type } = nameParts(v.name);
      if (v.family === 4) {
        assert.equal(Pkt4.parse(bytes(v)).getType(), V4_TYPES[type], v.name);
        continue;
      }
      const relayed = /^relay-(forw|repl)-(.*)$/.exec(type);
      const p = Pkt6.parse(bytes(v));
      assert.equal(p.getType(), V6_TYPES[relayed ? relayed[2]! : type], v.name);
      assert.equal(p.relayInfo.length, relayed ? 1 : 0, v.name);
    }
  });

  test("DHCPv4 requests are BOOTREQUEST and Kea's answers BOOTREPLY", () => {
    for (const v of VECTORS.filter((x) => x.family === 4)) {
      assert.equal(Pkt4.parse(bytes(v)).op, v.direction === "client-to-server" ? 1 : 2, v.name);
    }
  });

  test("transaction ids are read from the header", () => {
    assert.equal(parse4("udhcpc-01-discover").transid, 0x1a41433c);
    assert.equal(parse4("dhclient4-reboot-01-request").transid, 0x6d2eff35);
    assert.equal(parse4("perfdhcp4-05-discover").transid, 1);
    assert.equal(parse6("dhclient6-init-01-solicit").transid, 0x92dc80);
    assert.equal(parse6("dhcpcd-03-request").transid, 0x732918);
    // A relayed message's transaction id is the inner client message's.
    assert.equal(parse6("perfdhcp6-relay-03-relay-forw-request").transid, 1);
  });

  test("each of Kea's replies carries the transaction id of the request it answers", () => {
    const byName = new Map(VECTORS.map((v) => [v.name, v]));
    const replies = VECTORS.filter((v) => v.direction === "server-to-client");
    assert.equal(replies.length, 41);
    for (const reply of replies) {
      const { step, frame } = nameParts(reply.name);
      const prefix = `${step}-${String(frame - 1).padStart(2, "0")}-`;
      const request = [...byName.values()].find((v) => v.name.startsWith(prefix));
      assert.ok(request, `request before ${reply.name}`);
      assert.equal(parse(reply).transid, parse(request).transid, reply.name);
    }
  });
});

// The client each DHCPv4 capture step talks for: hardware address and client-id, as the client
// sends them and as Kea echoes them (chaddr always, client-id per RFC 6842).
const DHCPCD_DUID = "00:01:00:01:32:97:f0:d7:02:4e:53:54:00:04";
const V4_CLIENTS: [step: RegExp, mac: string, clientId: string][] = [
  [/^udhcpc-decline-/, "02:4e:53:54:00:09", "01:02:4e:53:54:00:09"],
  [/^udhcpc-/, "02:4e:53:54:00:01", "01:02:4e:53:54:00:01"],
  [/^dhclient4-/, "02:4e:53:54:00:02", "01:02:4e:53:54:00:02"],
  [/^dhcpcd-/, "02:4e:53:54:00:04", `ff:53:54:00:04:${DHCPCD_DUID}`],
];

describe("DHCPv4 client identity", () => {
  test("chaddr and client-id name the client, in its packets and in Kea's replies", () => {
    let checked = 0;
    for (const v of VECTORS.filter((x) => x.family === 4)) {
      const client = V4_CLIENTS.find(([step]) => step.test(v.name));
      if (!client) continue;
      const p = Pkt4.parse(bytes(v));
      assert.equal(p.htype, 1, v.name);
      assert.equal(p.hlen, 6, v.name);
      assert.equal(p.getHWAddr().toText(false), client[1], v.name);
      assert.equal(p.getClientId()?.toText(), client[2], v.name);
      checked++;
    }
    assert.equal(checked, 7 + 5 + 13 + 5);
  });

  test("dhcpcd's client-id is 0xff, an IAID and the DUID it uses for DHCPv6 (RFC 4361)", () => {
    const cid = parse4("dhcpcd-05-discover").getClientId();
    assert.ok(cid);
    assert.equal(cid.clientId[0], 0xff);
    assert.equal(cid.clientId.subarray(1, 5).toString("hex"), "53540004");
    const v6 = parse6("dhcpcd-01-solicit").getClientId();
    assert.ok(v6);
    assert.equal(cid.clientId.subarray(5).toString("hex"), v6.duid.toString("hex"));
  });

  test("perfdhcp acts as a relay: giaddr 198.51.100.2, one client per MAC, kept in Kea's reply", () => {
    const macs = ["04", "04", "05", "05", "06", "06"].map((x) => `00:0c:01:02:03:${x}`);
    perfdhcp4Names().forEach((name, i) => {
      const p = parse4(name);
      assert.equal(p.giaddr, "198.51.100.2", name);
      assert.equal(p.isRelayed(), true, name);
      assert.equal(p.getHWAddr().toText(false), macs[i], name);
      assert.equal(p.getClientId()?.toText(), `01:${macs[i]}`, name);
    });
    const ack = parse4("perfdhcp4-04-ack");
    assert.equal(ack.giaddr, "198.51.100.2");
    assert.equal(ack.yiaddr, "198.51.100.103");
  });

  test("udhcpc's renewal is a REQUEST from its bound address: ciaddr set, no requested-ip", () => {
    const renew = parse4("udhcpc-05-request");
    assert.equal(renew.ciaddr, "198.51.100.100");
    assert.equal(renew.getOption(50), undefined);
    assert.equal(renew.getOption(54), undefined);
    const ack = parse4("udhcpc-06-ack");
    assert.equal(ack.ciaddr, "198.51.100.100");
    assert.equal(ack.yiaddr, "198.51.100.100");
  });

  test("udhcpc -a DECLINEs the reserved address another host answers ARP for", () => {
    const ack = parse4("udhcpc-decline-04-ack");
    assert.equal(ack.yiaddr, "198.51.100.50");
    const decline = parse4("udhcpc-decline-05-decline");
    assert.equal(decline.getType(), 4);
    assert.equal(decline.ciaddr, "0.0.0.0");
    assert.equal(decline.getOption(50)?.getData().toString("hex"), "c6336432"); // 198.51.100.50
    assert.equal(decline.getOption(54)?.getData().toString("hex"), "c6336401"); // 198.51.100.1
  });

  test("relay agent information (option 82) parses into circuit-id and remote-id; Kea echoes it", () => {
    const discover = parse4("perfdhcp4-rai-01-discover");
    const rai = discover.getOption(82);
    assert.ok(rai);
    assert.equal(rai.getOption(1)?.getData().toString("latin1"), "port-7");
    assert.equal(rai.getOption(2)?.getData().toString("hex"), "024e53540008");
    assert.equal(rai.getOptions().length, 2);
    const ack = parse4("perfdhcp4-rai-04-ack");
    assert.equal(ack.getOption(82)?.getData().toString("hex"), rai.getData().toString("hex"));
  });

  test("an INIT-REBOOT for an address never leased is NAKed with no address", () => {
    const request = parse4("dhclient4-nak-01-request");
    assert.equal(request.getOption(50)?.getData().toString("hex"), "c63364fa"); // 198.51.100.250
    assert.equal(request.getOption(54), undefined, "INIT-REBOOT names no server");
    const nak = parse4("dhclient4-nak-02-nak");
    assert.equal(nak.getType(), 6);
    assert.equal(nak.yiaddr, "0.0.0.0");
    assert.equal(nak.getOption(54)?.getData().toString("hex"), "c6336401"); // 198.51.100.1
  });
});

function perfdhcp4Names(): string[] {
  return VECTORS.filter((v) => v.source === "perfdhcp4" && /^perfdhcp4-\d\d-/.test(v.name)).map(
    (v) => v.name,
  );
}

describe("DHCPv6 identities, leases and relays", () => {
  test("client DUIDs: dhclient DUID-LL of its MAC, dhcpcd and perfdhcp DUID-LLT", () => {
    const dhclient = parse6("dhclient6-init-01-solicit").getClientId();
    assert.equal(dhclient?.getType(), DuidType.DUID_LL);
    assert.equal(dhclient?.getHWAddr()?.toText(false), "02:4e:53:54:00:03");
    const dhcpcd = parse6("dhcpcd-01-solicit").getClientId();
    assert.equal(dhcpcd?.toText(), DHCPCD_DUID);
    assert.equal(dhcpcd?.getType(), DuidType.DUID_LLT);
    const perf = parse6("perfdhcp6-05-solicit").getClientId();
    assert.equal(perf?.getType(), DuidType.DUID_LLT);
    assert.equal(perf?.getHWAddr()?.toText(false), "00:0c:01:02:03:05");
  });

  test("every DHCPv6 reply of Kea names the client's DUID and Kea's DUID-EN server-id", () => {
    const requests = new Map<string, string | undefined>();
    for (const v of VECTORS.filter((x) => x.family === 6 && x.direction === "client-to-server")) {
      const { step, frame } = nameParts(v.name);
      requests.set(`${step}/${frame + 1}`, Pkt6.parse(bytes(v)).getClientId()?.toText());
    }
    for (const v of VECTORS.filter((x) => x.source === "kea6")) {
      const { step, frame } = nameParts(v.name);
      const p = Pkt6.parse(bytes(v));
      assert.equal(p.getClientId()?.toText(), requests.get(`${step}/${frame}`), v.name);
      const server = p.getOption(2)?.getData();
      assert.ok(server, v.name);
      // DUID-EN, enterprise 2495 (ISC), identifier "NESTOR": Kea's configured server-id.
      assert.equal(server.toString("hex"), "0002000009bf4e4553544f52", v.name);
    }
  });

  test("dhclient -N -P asks for an address and a prefix, and Kea's REPLY grants both", () => {
    const request = parse6("dhclient6-init-03-request");
    assert.ok(request.getOption(3) instanceof Option6IA);
    assert.ok(request.getOption(25) instanceof Option6IA);
    const reply = parse6("dhclient6-init-04-reply");
    const na = reply.getOption(3);
    const pd = reply.getOption(25);
    assert.ok(na instanceof Option6IA && pd instanceof Option6IA);
    const addr = na.getOption(5);
    assert.ok(addr instanceof Option6IAAddr);
    assert.equal(addr.getAddress(), "2001:db8:1::100");
    assert.equal(addr.getPreferred(), 3000);
    assert.equal(addr.getValid(), 4000);
    const prefix = pd.getOption(26);
    assert.ok(prefix instanceof Option6IAPrefix);
    assert.equal(prefix.getAddress(), "2001:db8:100::");
    assert.equal(prefix.getLength(), 56);
    assert.equal(na.getIAID(), iaid(request, 3));
    assert.equal(pd.getIAID(), iaid(request, 25));
  });

  test("perfdhcp's relayed SOLICIT is one RELAY-FORW level around the client's SOLICIT", () => {
    const p = parse6("perfdhcp6-relay-01-relay-forw-solicit");
    assert.equal(p.relayInfo.length, 1);
    const relay = p.relayInfo[0]!;
    assert.equal(relay.msgType, 12);
    assert.equal(relay.hopCount, 0);
    assert.equal(relay.linkAddr, "2001:db8:1::2");
    assert.equal(relay.peerAddr, "2001:db8:1::2");
    assert.equal(relay.options.length, 0, "relay-msg is the relay's only option");
    assert.equal(p.getType(), 1);
    assert.equal(p.getClientId()?.toText(), "00:01:00:01:00:00:00:00:00:0c:01:02:03:04");
  });

  test("Kea answers through the relay: RELAY-REPL with the same addresses and an ADVERTISE", () => {
    const p = parse6("perfdhcp6-relay-02-relay-repl-advertise");
    assert.equal(p.relayInfo.length, 1);
    const relay = p.relayInfo[0]!;
    assert.equal(relay.msgType, 13);
    assert.equal(relay.linkAddr, "2001:db8:1::2");
    assert.equal(relay.peerAddr, "2001:db8:1::2");
    assert.equal(p.getType(), 2);
    const na = p.getOption(3);
    assert.ok(na instanceof Option6IA);
    const addr = na.getOption(5);
    assert.ok(addr instanceof Option6IAAddr);
    // The relay's link address selects the relayed subnet, 2001:db8:2::/64.
    assert.equal(addr.getAddress(), "2001:db8:2::100");
  });
});

function iaid(p: Pkt6, code: number): number {
  const ia = p.getOption(code);
  return ia instanceof Option6IA ? ia.getIAID() : -1;
}
