import { test } from "node:test";
import assert from "node:assert/strict";
import { Pkt6, RelayInfo, RelaySearchOrder } from "../../../src/dhcp/pkt6.ts";
import { PacketParseError } from "../../../src/dhcp/errors.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../../../src/dhcp/option6-ia.ts";
import { Option6StatusCode } from "../../../src/dhcp/option6-status-code.ts";
import { OptionVendor } from "../../../src/dhcp/option-vendor.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { DuidType } from "../../../src/dhcp/duid.ts";
import { ScopedEnableOptionsCopy, withOptionsCopy } from "../../../src/dhcp/pkt.ts";
import { dhcp6, opt6, relayForw } from "./helpers.ts";

function parseError(fn: () => unknown): PacketParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PacketParseError, `expected PacketParseError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a PacketParseError");
}

const DUID_LLT = [0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 0, 0x11, 0x22, 0x33, 0x44, 0x55];
const IAADDR = [
  0x20,
  0x01,
  0x0d,
  0xb8,
  ...Array<number>(11).fill(0),
  0x10,
  0,
  0,
  0x0e,
  0x10,
  0,
  0,
  0x1c,
  0x20,
];
const STATUS = opt6(13, [0, 0, 0x6f, 0x6b]);
const SOLICIT = dhcp6(1, 0x123456, [
  ...opt6(1, DUID_LLT),
  ...opt6(8, [0, 0]),
  ...opt6(3, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, ...opt6(5, [...IAADDR, ...STATUS])]),
  ...opt6(6, [0, 23, 0, 24]),
]);

test("message type, transaction id and options are read from a client message", () => {
  const p = Pkt6.parse(SOLICIT);
  assert.equal(p.getType(), 1);
  assert.equal(p.getName(), "SOLICIT");
  assert.equal(p.getTransid(), 0x123456);
  assert.deepEqual(
    p.getOptions().map((o) => o.type),
    [1, 8, 3, 6],
  );
  assert.equal(p.relayInfo.length, 0);
  assert.equal(p.getClientId()!.getType(), DuidType.DUID_LLT);
  assert.equal((p.getOption(6) as OptionCustom).readInteger(1), 24);
});

test("a parsed DHCPv6 message packs back byte for byte", () => {
  assert.deepEqual(Pkt6.parse(SOLICIT).pack(), SOLICIT);
});

test("IA_NA holds IAADDR which holds a status code, each with its accessors", () => {
  const ia = Pkt6.parse(SOLICIT).getOption(3) as Option6IA;
  assert.ok(ia instanceof Option6IA);
  assert.equal(ia.getIAID(), 1);
  assert.equal(ia.getT1(), 0);
  const addr = ia.getOption(5) as Option6IAAddr;
  assert.ok(addr instanceof Option6IAAddr);
  assert.equal(addr.getAddress(), "2001:db8::10");
  assert.equal(addr.getPreferred(), 3600);
  assert.equal(addr.getValid(), 7200);
  const st = addr.getOption(13) as Option6StatusCode;
  assert.equal(st.getStatusCode(), 0);
  assert.equal(st.getStatusMessage(), "ok");
});

test("a server builds IA_PD with IAPREFIX and a client reads the same values", () => {
  const p = Pkt6.create(7, 0xabcdef);
  const iapd = Option6IA.create(25, 9, 1000, 2000);
  iapd.addOption(Option6IAPrefix.create("2001:db8:1::", 48, 300, 600));
  iapd.addOption(Option6StatusCode.create(6, "no prefix"));
  p.addOption(iapd);
  const ia = Option6IA.create(3, 1);
  ia.addOption(Option6IAAddr.create("2001:db8::5", 100, 200));
  p.addOption(ia);
  const back = Pkt6.parse(p.pack());
  const bia = back.getOption(25) as Option6IA;
  assert.equal(bia.getIAID(), 9);
  assert.equal(bia.getT1(), 1000);
  assert.equal(bia.getT2(), 2000);
  const bp = bia.getOption(26) as Option6IAPrefix;
  assert.equal(bp.getAddress(), "2001:db8:1::");
  assert.equal(bp.getLength(), 48);
  assert.equal(bp.getPreferred(), 300);
  assert.equal(bp.getValid(), 600);
  assert.equal((bia.getOption(13) as Option6StatusCode).getStatusMessage(), "no prefix");
  const ba = (back.getOption(3) as Option6IA).getOption(5) as Option6IAAddr;
  assert.equal(ba.getAddress(), "2001:db8::5");
  assert.equal(ba.getValid(), 200);
});

test("IA_TA has an IAID and no timers", () => {
  const ta = Option6IA.create(4, 77);
  assert.equal(ta.pack().length, 8);
  assert.throws(() => ta.getT1(), /IA_TA has no T1/);
});

test("RELAY-FORW layers become relayInfo, outermost (closest to the server) first", () => {
  const inner = relayForw(SOLICIT, 0, opt6(18, [0x65, 0x74, 0x68, 0x30]), [], 1);
  const outer = relayForw(inner, 1, [], opt6(37, [0, 0, 0, 9, 0xaa]), 2);
  const p = Pkt6.parse(outer);
  assert.equal(p.getType(), 1, "the packet is the client's message");
  assert.equal(p.getTransid(), 0x123456);
  assert.equal(p.relayInfo.length, 2);
  assert.equal(p.relayInfo[0]!.hopCount, 1);
  assert.equal(p.relayInfo[0]!.linkAddr, "2001:db8::2");
  assert.equal(p.relayInfo[0]!.peerAddr, "fe80::1");
  assert.equal(p.relayInfo[1]!.hopCount, 0);
  assert.equal(p.getRelay6LinkAddress(1), "2001:db8::1");
  assert.equal(p.relayInfo[1]!.relayMsgLen, SOLICIT.length);
  assert.deepEqual([...p.getRelayOption(18, 1)!.getData()], [0x65, 0x74, 0x68, 0x30]);
  assert.equal(p.getRelayOption(18, 0), undefined);
  assert.equal((p.getRelayOption(37, 0) as OptionCustom).readInteger(0), 9);
});

test("pack rebuilds the relay layers, with relay-msg where each relay put it", () => {
  const inner = relayForw(SOLICIT, 0, opt6(18, [1, 2]), opt6(38, [3]), 1);
  const outer = relayForw(inner, 1, [], opt6(37, [0, 0, 0, 9, 0xaa]), 2);
  assert.deepEqual(Pkt6.parse(outer).pack(), outer);
});

test("relay info built by the server packs relay-msg after the relay's options (as Kea)", () => {
  const q = Pkt6.parse(relayForw(SOLICIT, 0, opt6(18, [1, 2]), opt6(37, [0, 0, 0, 1, 5])));
  const r = Pkt6.create(7, q.getTransid());
  r.copyRelayInfo(q);
  assert.equal(r.relayInfo[0]!.msgType, 13, "RELAY-REPL");
  assert.deepEqual(
    r.relayInfo[0]!.options.map((o) => o.type),
    [18],
    "interface-id is echoed, remote-id is not",
  );
  const b = r.pack();
  assert.equal(b[0], 13);
  assert.deepEqual([...b.subarray(34, 40)], [0, 18, 0, 2, 1, 2]);
  assert.deepEqual([...b.subarray(40, 42)], [0, 9]);
  assert.equal(Pkt6.parse(b).getType(), 7);
});

test("getAnyRelayOption searches the relays in Kea's four orders", () => {
  const l2 = relayForw(SOLICIT, 0, opt6(37, [0, 0, 0, 2, 2]), [], 2);
  const l1 = relayForw(l2, 1, [], [], 1);
  const l0 = relayForw(l1, 2, opt6(37, [0, 0, 0, 0, 0]), [], 0);
  const p = Pkt6.parse(l0);
  const id = (o: unknown) => (o as OptionCustom).readInteger(0);
  assert.equal(id(p.getAnyRelayOption(37, RelaySearchOrder.RELAY_SEARCH_FROM_CLIENT)), 2);
  assert.equal(id(p.getAnyRelayOption(37, RelaySearchOrder.RELAY_SEARCH_FROM_SERVER)), 0);
  assert.equal(id(p.getAnyRelayOption(37, RelaySearchOrder.RELAY_GET_FIRST)), 2);
  assert.equal(id(p.getAnyRelayOption(37, RelaySearchOrder.RELAY_GET_LAST)), 0);
  assert.equal(p.getAnyRelayOption(18, RelaySearchOrder.RELAY_SEARCH_FROM_CLIENT), undefined);
});

test("32 relay layers are accepted; a 33rd is refused", () => {
  let b: Buffer = SOLICIT;
  for (let i = 0; i < 32; i++) b = relayForw(b, i);
  assert.equal(Pkt6.parse(b).relayInfo.length, 32);
  const e = parseError(() => Pkt6.parse(relayForw(b, 32)));
  assert.match(e.reason, /relay nesting deeper than 32 levels/);
  assert.equal(e.offset, 32 * 38, "offset of the 33rd relay header");
});

test("a relay without relay-msg is refused", () => {
  const noMsg = Buffer.concat([Buffer.from([12, 0]), Buffer.alloc(32), Buffer.from(opt6(18, [1]))]);
  assert.match(parseError(() => Pkt6.parse(noMsg)).reason, /without relay-msg/);
});

test("truncated headers and options are refused with their offsets", () => {
  assert.equal(parseError(() => Pkt6.parse(Buffer.alloc(0))).offset, 0);
  assert.match(
    parseError(() => Pkt6.parse(Buffer.from([1, 0, 0]))).reason,
    /truncated message header/,
  );
  assert.match(
    parseError(() => Pkt6.parse(Buffer.from([12, 0, 1]))).reason,
    /truncated relay header/,
  );
  const e = parseError(() => Pkt6.parse(dhcp6(1, 1, [0, 1, 0, 9, 1, 2])));
  assert.equal(e.offset, 4);
  assert.equal(e.reason, "option 1 length 9 runs past end of buffer");
  assert.match(
    parseError(() => Pkt6.parse(dhcp6(1, 1, [0, 1, 0]))).reason,
    /truncated option header/,
  );
});

test("a sub-option running past the end of IA_NA is refused", () => {
  const bad = dhcp6(1, 1, opt6(3, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 24, 1]));
  const e = parseError(() => Pkt6.parse(bad));
  assert.equal(e.offset, 20);
  assert.match(e.reason, /option 5 length 24 runs past end of enclosing option/);
});

test("options nested deeper than 32 levels are refused, not a stack overflow", () => {
  let inner: number[] = [];
  for (let i = 0; i < 40; i++) inner = opt6(3, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, ...inner]);
  assert.match(parseError(() => Pkt6.parse(dhcp6(1, 1, inner))).reason, /nested deeper than 32/);
});

test("vendor options (17) carry an enterprise number and sub-options in vendor-<id>", () => {
  const p = Pkt6.parse(dhcp6(1, 1, opt6(17, [0, 0, 0x11, 0x8b, ...opt6(32, [1, 2])])));
  const v = p.getOption(17) as OptionVendor;
  assert.equal(v.getVendorId(), 4491);
  assert.equal(v.encapsulatedSpace, "vendor-4491");
  assert.deepEqual([...v.getOption(32)!.getData()], [1, 2]);
});

test("unknown DHCPv6 options are kept as bytes and pack back identical", () => {
  const raw = dhcp6(11, 7, opt6(65000, [1, 2, 3]));
  const p = Pkt6.parse(raw);
  assert.deepEqual([...p.getOption(65000)!.getData()], [1, 2, 3]);
  assert.deepEqual(p.pack(), raw);
});

test("copy-on-retrieve covers relay options too", () => {
  const p = Pkt6.parse(relayForw(SOLICIT, 0, opt6(18, [1, 2])));
  const original = p.getRelayOption(18, 0)!;
  withOptionsCopy([p], () => {
    const c = p.getRelayOption(18, 0)!;
    assert.notEqual(c, original);
    c.setData(Buffer.from([9]));
    const any = p.getAnyRelayOption(18, RelaySearchOrder.RELAY_GET_FIRST)!;
    assert.notEqual(any, c, "every retrieval while copying hands out a fresh copy");
  });
  assert.equal(p.isCopyRetrievedOptions(), false, "restored after the callouts");
  assert.deepEqual([...original.getData()], [1, 2]);
  assert.deepEqual([...p.getRelayOption(18, 0)!.getData()], [9], "the packet carries the change");
});

test("the server's own reads (getNonCopied*) never copy, even while callouts run", () => {
  const p = Pkt6.parse(relayForw(SOLICIT, 0, opt6(18, [1, 2])));
  p.setCopyRetrievedOptions(true);
  const a = p.getNonCopiedOption(1);
  assert.equal(p.getNonCopiedOption(1), a);
  assert.equal(p.getNonCopiedOptions(3)[0], p.getNonCopiedOptions(3)[0]);
  const r = p.getNonCopiedRelayOption(18, 0);
  assert.equal(p.getNonCopiedAnyRelayOption(18, RelaySearchOrder.RELAY_GET_LAST), r);
});

test("ScopedEnableOptionsCopy restores each packet's previous setting", () => {
  const q = Pkt6.parse(SOLICIT);
  const r = Pkt6.create(7, 1);
  r.setCopyRetrievedOptions(true);
  const scope = new ScopedEnableOptionsCopy([q, r, null]);
  assert.equal(q.isCopyRetrievedOptions(), true);
  scope.restore();
  assert.equal(q.isCopyRetrievedOptions(), false);
  assert.equal(r.isCopyRetrievedOptions(), true);
});

test("a relay level that does not exist is an error, not undefined", () => {
  assert.throws(() => Pkt6.parse(SOLICIT).getRelayOption(18, 0), /no relay level 0/);
});

test("transaction ids are 24 bits", () => {
  assert.throws(() => Pkt6.create(1, 0x1000000), /out of range/);
});

test("addRelayInfo wraps a message built locally", () => {
  const p = Pkt6.create(1, 5);
  const r = new RelayInfo(12, 0, "2001:db8::1", "fe80::2");
  r.options.push(new Option(6, 18, Buffer.from([7])));
  p.addRelayInfo(r);
  const back = Pkt6.parse(p.pack());
  assert.equal(back.relayInfo[0]!.peerAddr, "fe80::2");
  assert.deepEqual([...back.getRelayOption(18, 0)!.getData()], [7]);
});

test("toText shows the type, the options and the relays for logs", () => {
  const t = Pkt6.parse(relayForw(SOLICIT, 0, opt6(18, [1]))).toText();
  assert.match(t, /msgtype=1\(SOLICIT\), transid=0x123456/);
  assert.match(t, /1 relay\(s\):\nmsg-type=12\(RELAY_FORW\), hop-count=0/);
});
