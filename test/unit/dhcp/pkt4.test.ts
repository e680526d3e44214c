import { test } from "node:test";
import assert from "node:assert/strict";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { PacketParseError } from "../../../src/dhcp/errors.ts";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";
import { OptionVendor } from "../../../src/dhcp/option-vendor.ts";
import { optionDefFromConfig, optionFromConfig } from "../../../src/dhcp/option-data.ts";
import { OptionDefinitions, getStdOptionDefs } from "../../../src/dhcp/std-option-defs.ts";
import { DHCPMessageType } from "../../../src/dhcp/constants.ts";
import { bootpHeader, dhcp4 } from "./helpers.ts";

function parseError(fn: () => unknown): PacketParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PacketParseError, `expected PacketParseError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a PacketParseError");
}

const DISCOVER = dhcp4([
  53, 1, 1, 61, 7, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 12, 3, 0x66, 0x6f, 0x6f, 255,
]);

test("every BOOTP header field is read from its place in the packet", () => {
  const p = Pkt4.parse(DISCOVER);
  assert.equal(p.op, 1);
  assert.equal(p.htype, 1);
  assert.equal(p.hlen, 6);
  assert.equal(p.hops, 2);
  assert.equal(p.getTransid(), 0xdeadbeef);
  assert.equal(p.secs, 7);
  assert.equal(p.flags, 0x8000);
  assert.equal(p.isBroadcast(), true);
  assert.equal(p.ciaddr, "192.0.2.1");
  assert.equal(p.yiaddr, "192.0.2.2");
  assert.equal(p.siaddr, "192.0.2.3");
  assert.equal(p.giaddr, "192.0.2.4");
  assert.equal(p.giaddrInt, 0xc0000204);
  assert.equal(p.getHWAddr().toText(), "hwtype=1 00:11:22:33:44:55");
  assert.equal(p.sname, "server.example");
  assert.equal(p.file, "pxelinux.0");
  assert.equal(p.getType(), DHCPMessageType.DHCPDISCOVER);
  assert.equal(p.getName(), "DHCPDISCOVER");
  assert.equal(p.isRelayed(), true);
});

test("a parsed packet packs back byte for byte", () => {
  const p = Pkt4.parse(DISCOVER);
  assert.deepEqual(p.pack(), DISCOVER);
  assert.deepEqual(p.getBuffer(), DISCOVER);
});

test("every header field written by setters is where a client reads it", () => {
  const p = Pkt4.create(DHCPMessageType.DHCPOFFER, 0x01020304);
  p.setHops(3);
  p.setSecs(0x1234);
  p.setBroadcast(true);
  p.ciaddr = "10.0.0.1";
  p.yiaddr = "10.0.0.2";
  p.siaddr = "10.0.0.3";
  p.giaddr = "10.0.0.4";
  p.setHWAddr(new HWAddr(Buffer.from([1, 2, 3, 4, 5, 6]), 1));
  p.sname = "srv";
  p.file = "boot.img";
  const b = p.pack();
  assert.equal(b[0], 2, "an OFFER is a BOOTREPLY");
  assert.equal(b[2], 6);
  assert.equal(b[3], 3);
  assert.equal(b.readUInt32BE(4), 0x01020304);
  assert.equal(b.readUInt16BE(8), 0x1234);
  assert.equal(b.readUInt16BE(10), 0x8000);
  assert.deepEqual([...b.subarray(12, 28)], [10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3, 10, 0, 0, 4]);
  assert.deepEqual([...b.subarray(28, 34)], [1, 2, 3, 4, 5, 6]);
  assert.equal(b.toString("latin1", 44, 47), "srv");
  assert.equal(b.toString("latin1", 108, 116), "boot.img");
  assert.equal(b.readUInt32BE(236), 0x63825363);
  assert.deepEqual([...b.subarray(240)], [53, 1, 2, 255], "option 53 first, then END");
  p.setBroadcast(false);
  assert.equal(p.flags, 0);
  assert.equal(p.isRelayed(), true);
  p.giaddr = "255.255.255.255";
  assert.equal(p.isRelayed(), false, "a broadcast giaddr is not a relay (as Kea)");
});

test("pack pads with zeros to a minimum size (300 bytes for BOOTP) after END", () => {
  const p = Pkt4.create(DHCPMessageType.DHCPACK, 1);
  const b = p.pack(300);
  assert.equal(b.length, 300);
  assert.equal(b[243], 255);
  assert.ok(b.subarray(244).every((x) => x === 0));
  assert.equal(Pkt4.create(5, 1).pack().length, 244, "no padding unless asked");
});

test("a packet of exactly 236 bytes is BOOTP without options", () => {
  const p = Pkt4.parse(bootpHeader());
  assert.equal(p.getOptions().length, 0);
  assert.equal(p.getType(), DHCPMessageType.DHCP_NOTYPE);
  assert.equal(p.getName(), "UNKNOWN", "Kea's name for a packet without option 53");
});

test("a DHCP packet without option 53 reports DHCP_NOTYPE (BOOTP)", () => {
  assert.equal(Pkt4.parse(dhcp4([1, 4, 255, 255, 255, 0, 255])).getType(), 0);
});

test("a truncated header is refused with the offset where the data ended", () => {
  const e = parseError(() => Pkt4.parse(bootpHeader().subarray(0, 100)));
  assert.equal(e.offset, 100);
  assert.equal(e.code, "NESTOR_PACKET_PARSE");
  assert.match(e.message, /^malformed packet at offset 100: truncated BOOTP header/);
});

test("a truncated or wrong magic cookie is refused", () => {
  assert.match(parseError(() => Pkt4.parse(dhcp4([]).subarray(0, 238))).reason, /magic cookie/);
  const bad = dhcp4([255]);
  bad[239] = 0;
  const e = parseError(() => Pkt4.parse(bad));
  assert.equal(e.offset, 236);
  assert.match(e.reason, /invalid magic cookie/);
});

test("an option whose length runs past the end is refused at the option's offset", () => {
  const e = parseError(() => Pkt4.parse(dhcp4([53, 1, 1, 12, 5, 0x61])));
  assert.equal(e.offset, 243);
  assert.equal(
    e.message,
    "malformed packet at offset 243: option 12 length 5 runs past end of buffer",
  );
});

test("an option code with no length byte is refused", () => {
  assert.match(parseError(() => Pkt4.parse(dhcp4([53, 1, 1, 12]))).reason, /no length byte/);
});

test("a sub-option running past the end of option 82 is refused", () => {
  const e = parseError(() => Pkt4.parse(dhcp4([53, 1, 1, 82, 4, 1, 5, 0x61, 0x62, 255])));
  assert.equal(e.offset, 245);
  assert.match(e.reason, /option 1 length 5 runs past end of enclosing option/);
});

test("PAD bytes between options are skipped", () => {
  const p = Pkt4.parse(dhcp4([0, 0, 53, 1, 3, 0, 12, 1, 0x78, 0, 255]));
  assert.deepEqual(
    p.getOptions().map((o) => o.type),
    [53, 12],
  );
});

test("zero padding after END is valid (clients pad to 300 bytes)", () => {
  const padded = Buffer.concat([dhcp4([53, 1, 1, 255]), Buffer.alloc(56)]);
  const p = Pkt4.parse(padded);
  assert.equal(p.getType(), 1);
  assert.deepEqual(p.pack(padded.length), padded);
});

test("non-zero bytes after END are refused (strict: they would be lost on a round trip)", () => {
  const e = parseError(() => Pkt4.parse(dhcp4([53, 1, 1, 255, 0, 0x42])));
  assert.equal(e.offset, 245);
  assert.match(e.reason, /garbage after END/);
});

test("options without END are accepted", () => {
  assert.equal(Pkt4.parse(dhcp4([53, 1, 8])).getType(), 8);
});

test("option 53 longer than one byte is refused", () => {
  assert.match(parseError(() => Pkt4.parse(dhcp4([53, 2, 1, 1, 255]))).reason, /option 53/);
});

test("RFC 3396: split instances of one option are joined in order", () => {
  const p = Pkt4.parse(
    dhcp4([53, 1, 1, 15, 3, 0x61, 0x62, 0x63, 12, 1, 0x68, 15, 2, 0x64, 0x65, 255]),
  );
  const dn = p.getOption(15) as OptionCustom;
  assert.equal(dn.readString(), "abcde");
  assert.equal(p.getOptions(15).length, 1);
});

test("RFC 3396: an option longer than 255 bytes is split into consecutive instances on pack", () => {
  const p = Pkt4.create(DHCPMessageType.DHCPACK, 1);
  const servers = Array.from({ length: 70 }, (_, i) => `10.0.${i}.1`).join(",");
  p.addOption(
    optionFromConfig({ name: "domain-name-servers", data: servers }, { universe: 4 }).option,
  );
  const b = p.pack();
  assert.equal(b[243], 6);
  assert.equal(b[244], 255, "first part carries 255 bytes");
  assert.equal(b[500], 6);
  assert.equal(b[501], 25, "second part carries the remaining 25");
  const back = Pkt4.parse(b).getOption(6) as OptionCustom;
  assert.equal(back.getDataFieldsNum(), 70);
  assert.equal(back.readAddress(69), "10.0.69.1");
});

test("option overload (52): options in file and sname are read, joined, and repacked without overload", () => {
  const h = bootpHeader();
  h.fill(0, 44, 236);
  Buffer.from([67, 4, 0x62, 0x6f, 0x6f, 0x74, 255]).copy(h, 108); // file: boot-file-name "boot"
  Buffer.from([66, 3, 0x73, 0x72, 0x76, 255]).copy(h, 44); // sname: tftp-server-name "srv"
  const p = Pkt4.parse(dhcp4([53, 1, 5, 52, 1, 3, 255], h));
  assert.equal((p.getOption(67) as OptionCustom).readString(), "boot");
  assert.equal((p.getOption(66) as OptionCustom).readString(), "srv");
  assert.equal(p.getOption(52), undefined, "the overload option was consumed");
  assert.equal(p.sname, "");
  assert.equal(p.file, "");
  const again = Pkt4.parse(p.pack());
  assert.deepEqual(
    again.getOptions().map((o) => o.type),
    [53, 67, 66],
  );
});

test("option overload only in file leaves sname as it was", () => {
  const h = bootpHeader();
  h.fill(0, 108, 236);
  Buffer.from([12, 2, 0x68, 0x69, 255]).copy(h, 108);
  const p = Pkt4.parse(dhcp4([53, 1, 1, 52, 1, 1, 255], h));
  assert.equal((p.getOption(12) as OptionCustom).readString(), "hi");
  assert.equal(p.sname, "server.example");
});

test("an option overrunning the overloaded file field is refused; bytes after END there are ignored", () => {
  const h = bootpHeader();
  h.fill(0, 108, 236);
  h[234] = 12;
  h[235] = 9; // host-name claiming 9 bytes in the last 2 bytes of file
  const e = parseError(() => Pkt4.parse(dhcp4([53, 1, 1, 52, 1, 1, 255], h)));
  assert.equal(e.offset, 234);
  assert.match(e.reason, /runs past end of file field/);
  h.fill(0, 108, 236);
  Buffer.from([12, 1, 0x78, 255, 0x42, 0x42]).copy(h, 108);
  assert.equal(
    (Pkt4.parse(dhcp4([53, 1, 1, 52, 1, 1, 255], h)).getOption(12) as OptionCustom).readString(),
    "x",
  );
});

test("an unknown option code is kept as bytes and packs back identical", () => {
  const raw = dhcp4([53, 1, 1, 224, 3, 9, 8, 7, 255]);
  const p = Pkt4.parse(raw);
  const o = p.getOption(224)!;
  assert.ok(!(o instanceof OptionCustom));
  assert.deepEqual([...o.getData()], [9, 8, 7]);
  assert.deepEqual(p.pack(), raw);
});

test("a known option whose payload does not fit its definition is kept as bytes, not lost", () => {
  const raw = dhcp4([53, 1, 1, 6, 5, 10, 0, 0, 1, 9, 255]); // 5 bytes: not a list of IPv4 addresses
  const p = Pkt4.parse(raw);
  assert.ok(!(p.getOption(6) instanceof OptionCustom));
  assert.deepEqual(p.pack(), raw);
});

test("option 82 is parsed into its sub-options (circuit-id, remote-id, link-selection)", () => {
  const raw = dhcp4([53, 1, 1, 82, 14, 1, 2, 0xa, 0xb, 2, 2, 0xc, 0xd, 5, 4, 10, 1, 2, 0, 255]);
  const p = Pkt4.parse(raw);
  const rai = p.getOption(82)!;
  assert.equal(rai.encapsulatedSpace, "dhcp-agent-options-space");
  assert.deepEqual([...rai.getOption(1)!.getData()], [0xa, 0xb]);
  assert.deepEqual([...rai.getOption(2)!.getData()], [0xc, 0xd]);
  assert.equal((rai.getOption(5) as OptionCustom).readAddress(), "10.1.2.0");
  assert.deepEqual(p.pack(), raw);
});

test("option 125 holds one vendor option per enterprise number", () => {
  const raw = dhcp4([
    53, 1, 1, 125, 16, 0, 0, 0x11, 0x8b, 3, 1, 1, 0x41, 0, 0, 0, 9, 3, 2, 1, 0x42, 255,
  ]);
  const p = Pkt4.parse(raw);
  const vendors = p.getOptions(125) as OptionVendor[];
  assert.deepEqual(
    vendors.map((v) => v.getVendorId()),
    [4491, 9],
  );
  assert.equal(vendors[0]!.encapsulatedSpace, "vendor-4491");
  assert.deepEqual([...vendors[1]!.getOption(2)!.getData()], [0x42]);
});

test("option 43 is kept as bytes: its layout depends on the vendor", () => {
  const p = Pkt4.parse(dhcp4([53, 1, 1, 43, 3, 1, 1, 0xff, 255]));
  assert.deepEqual([...p.getOption(43)!.getData()], [1, 1, 0xff]);
});

test("the client FQDN option (81) reads partial names and ASCII-encoded names", () => {
  const wire = Pkt4.parse(dhcp4([53, 1, 3, 81, 8, 5, 0, 0, 4, 0x68, 0x6f, 0x73, 0x74, 255]));
  assert.equal((wire.getOption(81) as OptionCustom).readFqdn(3), "host");
  const ascii = Pkt4.parse(dhcp4([53, 1, 3, 81, 9, 0, 0, 0, 0x61, 0x2e, 0x63, 0x6f, 0x6d, 0, 255]));
  assert.equal((ascii.getOption(81) as OptionCustom).readString(3), "a.com");
});

test("copy-on-retrieve is off by default: getOption returns the instance in the packet", () => {
  const p = Pkt4.create(5, 1);
  const shared = optionFromConfig({ name: "routers", data: "10.0.0.1" }, { universe: 4 }).option;
  p.addOption(shared);
  assert.equal(p.isCopyRetrievedOptions(), false);
  assert.equal(p.getOption(3), shared);
});

test("copy-on-retrieve: a callout changing a retrieved option never changes the configured instance", () => {
  const p = Pkt4.create(5, 1);
  const shared = optionFromConfig({ name: "routers", data: "10.0.0.1" }, { universe: 4 }).option;
  p.addOption(shared);
  p.setCopyRetrievedOptions(true);
  const got = p.getOption(3) as OptionCustom;
  assert.notEqual(got, shared);
  got.writeValue("10.9.9.9", 0);
  assert.equal((shared as OptionCustom).readAddress(), "10.0.0.1", "configuration untouched");
  p.setCopyRetrievedOptions(false);
  assert.equal(p.getOption(3), got, "the copy replaced the shared instance inside the packet");
  assert.equal((Pkt4.parse(p.pack()).getOption(3) as OptionCustom).readAddress(), "10.9.9.9");
});

test("copy-on-retrieve applies to getOptions and copies sub-options deeply", () => {
  const p = Pkt4.parse(dhcp4([53, 1, 1, 82, 4, 1, 2, 0xa, 0xb, 255]));
  const original = p.getOption(82)!;
  p.setCopyRetrievedOptions(true);
  const [, rai] = p.getOptions();
  assert.notEqual(rai, original);
  rai!.getOption(1)!.setData(Buffer.from([1]));
  assert.deepEqual([...original.getOption(1)!.getData()], [0xa, 0xb]);
});

test("unpack() may be called by a callout on a packet built from raw bytes (buffer4_receive)", () => {
  const p = new Pkt4(DISCOVER);
  assert.equal(p.getOptions().length, 0, "nothing parsed before unpack()");
  p.unpack();
  assert.equal(p.getType(), 1);
});

test("delOption removes an option; addOption refuses PAD, END and DHCPv6 options", () => {
  const p = Pkt4.parse(DISCOVER);
  assert.equal(p.delOption(12), true);
  assert.equal(p.getOption(12), undefined);
  assert.equal(p.delOption(12), false);
  assert.throws(() => p.addOption(new Option(4, 255)), /PAD\/END/);
  assert.throws(() => p.addOption(new Option(6, 1)), /DHCPv6/);
});

test("options added after option 82 go before it, so 82 stays last (RFC 3046)", () => {
  const q = Pkt4.parse(dhcp4([53, 1, 1, 82, 3, 1, 1, 9, 255]));
  const r = Pkt4.create(DHCPMessageType.DHCPOFFER, q.getTransid());
  r.addOption(q.getOption(82)!);
  r.addOption(optionFromConfig({ name: "routers", data: "10.0.0.1" }, { universe: 4 }).option);
  assert.deepEqual([...r.pack().subarray(240)], [53, 1, 2, 3, 4, 10, 0, 0, 1, 82, 3, 1, 1, 9, 255]);
});

test("a parsed packet keeps its option order: option 50 before 53 or 82 not last packs as sent", () => {
  const raw = dhcp4([50, 4, 10, 0, 0, 5, 53, 1, 3, 82, 3, 1, 1, 9, 12, 1, 0x78, 255]);
  assert.deepEqual(Pkt4.parse(raw).pack(), raw);
});

test("DHCPv4 options are unique: adding a code twice throws, except vendor options", () => {
  const p = Pkt4.parse(DISCOVER);
  assert.throws(() => p.addOption(new Option(4, 12, Buffer.from("x"))), /already present/);
  p.addOption(OptionVendor.create(4, 9));
  p.addOption(OptionVendor.create(4, 4491));
  assert.equal(p.getOptions(125).length, 2);
});

test("setType replaces option 53 in place", () => {
  const p = Pkt4.parse(DISCOVER);
  p.setType(3);
  assert.equal(p.getType(), 3);
  assert.equal(p.getOptions()[0]!.type, 53);
});

test("toText names the message type, transaction and options for logs", () => {
  const t = Pkt4.parse(DISCOVER).toText();
  assert.match(t, /msg_type=DHCPDISCOVER \(1\), trans_id=0xdeadbeef/);
  assert.match(t, /type=012, len=003: foo/);
  assert.match(Pkt4.parse(DISCOVER).getLabel(), /\[hwtype=1 00:11:22:33:44:55\], cid=\[01:00:11/);
});

test("the client identifier comes from option 61", () => {
  assert.equal(Pkt4.parse(DISCOVER).getClientId()!.toText(), "01:00:11:22:33:44:55");
});

test("a string option read by a hook drops the trailing NULs some clients send; the bytes stay", () => {
  const raw = dhcp4([53, 1, 1, 12, 4, 0x66, 0x6f, 0x6f, 0, 255]);
  const p = Pkt4.parse(raw);
  assert.equal((p.getOption(12) as OptionCustom).readString(), "foo");
  assert.deepEqual(p.pack(), raw);
});

test("transport details are plain fields with Kea-style accessors", () => {
  const p = new Pkt4(DISCOVER);
  p.setRemoteAddr("192.0.2.9");
  p.setRemotePort(68);
  p.setLocalAddr("192.0.2.1");
  p.setLocalPort(67);
  p.setIface("eth0");
  p.setIndex(2);
  p.updateTimestamp();
  assert.deepEqual(
    [p.remoteAddr, p.getRemotePort(), p.localAddr, p.getLocalPort(), p.getIface(), p.getIndex()],
    ["192.0.2.9", 68, "192.0.2.1", 67, "eth0", 2],
  );
  assert.ok(Math.abs(p.getTimestamp() - Date.now()) < 1000);
  assert.match(p.toText(), /^local_address=192\.0\.2\.1:67, remote_address=192\.0\.2\.9:68/);
});

test("client classes are kept per packet", () => {
  const p = new Pkt4(DISCOVER);
  p.addClass("KNOWN");
  p.addClass("BOOTP");
  assert.equal(p.inClass("KNOWN"), true);
  assert.equal(p.inClass("other"), false);
  assert.deepEqual(p.getClasses(), ["KNOWN", "BOOTP"]);
});

test("options 43 and 224-254 are kept as bytes by the parser, whatever the definitions (Kea defers them)", () => {
  const defs = new OptionDefinitions(getStdOptionDefs());
  defs.add(optionDefFromConfig({ name: "box", code: 230, type: "empty", encapsulate: "box" }, 4));
  defs.add(optionDefFromConfig({ name: "level", code: 223, type: "uint8" }, 4));
  const p = Pkt4.create(DHCPMessageType.DHCPDISCOVER, 1, defs);
  // 230 with a sub-option running past its end: malformed for its definition, yet no error here.
  p.addOption(new Option(4, 230, Buffer.from("0109", "hex")));
  p.addOption(new Option(4, 43, Buffer.from("0101ff", "hex")));
  p.addOption(new Option(4, 223, Buffer.from([7])));
  const parsed = Pkt4.parse(p.pack(), defs);
  const box = parsed.getOption(230)!;
  assert.equal(box instanceof OptionCustom, false);
  assert.equal(box.getData().toString("hex"), "0109");
  assert.equal(parsed.getOption(43)!.getOptions().length, 0);
  assert.ok(parsed.getOption(223) instanceof OptionCustom, "223 is not deferred");
});

test("a query read as a frame has the frame's Ethernet addresses as local and remote hardware addresses", () => {
  const q = new Pkt4(dhcp4([53, 1, DHCPMessageType.DHCPDISCOVER, 255]));
  q.unpack();
  assert.equal(q.getLocalHWAddr(), null, "a UDP datagram has none");
  assert.equal(q.getRemoteHWAddr(), null);
  const p = new Pkt4(dhcp4([53, 1, DHCPMessageType.DHCPDISCOVER, 255]));
  p.link = Buffer.from("ffffffffffff" + "020000000a0b", "hex");
  p.unpack();
  assert.equal(p.getLocalHWAddr()?.toText(), "hwtype=1 ff:ff:ff:ff:ff:ff");
  assert.equal(p.getRemoteHWAddr()?.toText(), "hwtype=1 02:00:00:00:0a:0b");
  p.setRemoteHWAddr(HWAddr.fromText("02:00:00:00:0c:0d"));
  assert.equal(p.getRemoteHWAddr()?.toText(false), "02:00:00:00:0c:0d", "a callout may change it");
  p.setLocalHWAddr(null);
  assert.equal(p.getLocalHWAddr(), null);
});
