/**
 * A received packet keeps its options as bytes until something asks for them (Pkt's `wire`):
 * what each kind of access makes, and that every public behaviour of the option list holds as
 * for options made by the parser: the same objects on each read, copy-on-retrieve, changes
 * packed, byte-for-byte round trips, malformed packets refused at unpack.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketParseError } from "../../../src/dhcp/errors.ts";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { OptionDefinition } from "../../../src/dhcp/option-definition.ts";
import type { OptionDefLookup } from "../../../src/dhcp/option-definition.ts";
import { Option6IA } from "../../../src/dhcp/option6-ia.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { getStdOptionDefs } from "../../../src/dhcp/std-option-defs.ts";
import { bootpHeader, dhcp4, dhcp6, opt6 } from "./helpers.ts";

/** A definition that counts the options it makes. */
class CountingDef extends OptionDefinition {
  made = 0;
  override optionFactory(...a: Parameters<OptionDefinition["optionFactory"]>): Option {
    this.made++;
    return super.optionFactory(...a);
  }
}

/** The standard definitions with `def` for its code in its space. */
function withDef(def: OptionDefinition): OptionDefLookup {
  const std = getStdOptionDefs();
  return {
    get: (space, code, u) =>
      space === def.space && code === def.code ? def : std.get(space, code, u),
    getByName: (space, name, u) => std.getByName(space, name, u),
  };
}

const name4 = () =>
  new CountingDef({ name: "site-name", code: 200, type: "string", space: "dhcp4" });
const name6 = () =>
  new CountingDef({ name: "site-name", code: 900, type: "string", space: "dhcp6" });

// DISCOVER: 53, 61 (client id), 12 (host name), 200 (site-name, defined by the test), END.
const DISCOVER = dhcp4([
  53, 1, 1, 61, 7, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 12, 3, 0x66, 0x6f, 0x6f, 200, 2, 0x61, 0x62,
  255,
]);

test("a v4 option becomes an object when asked for by code, once, not at unpack", () => {
  const def = name4();
  const p = Pkt4.parse(DISCOVER, withDef(def));
  assert.equal(def.made, 0, "unpack made no option of the code nothing asked for");
  assert.equal(p.getType(), 1);
  assert.equal(p.getClientId()?.toText(), "01:00:11:22:33:44:55");
  assert.equal(def.made, 0, "the message type and client id were read from the bytes");
  const o = p.getOption(200);
  assert.equal(def.made, 1);
  assert.equal(o?.toText(), "type=200, len=002: ab");
  assert.equal(p.getOption(200), o, "the same object on every read");
  assert.equal(def.made, 1);
});

test("a v6 option becomes an object when asked for by code, once, not at unpack", () => {
  const def = name6();
  const bytes = dhcp6(1, 0x123456, [
    ...opt6(1, [0, 3, 0, 1, 2, 3, 4, 5, 6, 7]),
    ...opt6(900, [0x78]),
  ]);
  const p = Pkt6.parse(bytes, withDef(def));
  assert.equal(def.made, 0);
  assert.equal(p.getClientId()?.toText(), "00:03:00:01:02:03:04:05:06:07");
  assert.equal(def.made, 0);
  assert.deepEqual(
    p.getOptions(900).map((o) => o.toText()),
    ["type=00900, len=00001: x"],
  );
  assert.equal(def.made, 1);
});

test("listing the options makes them all, in wire order, and packs back byte for byte", () => {
  const def = name4();
  const p = Pkt4.parse(DISCOVER, withDef(def));
  assert.deepEqual(
    p.getOptions().map((o) => o.type),
    [53, 61, 12, 200],
  );
  assert.equal(def.made, 1);
  assert.deepEqual(p.pack(), DISCOVER);
  const untouched = Pkt4.parse(DISCOVER, withDef(name4()));
  assert.deepEqual(untouched.pack(), DISCOVER, "an untouched packet packs from its bytes too");
});

test("sname, file and chaddr read from the received bytes, and set ones packed", () => {
  const p = Pkt4.parse(DISCOVER);
  assert.equal(p.sname, "server.example");
  assert.equal(p.file, "pxelinux.0");
  assert.equal(p.getHWAddr().toText(false), "00:11:22:33:44:55");
  assert.deepEqual(p.getChaddr(), bootpHeader().subarray(28, 44));
  const q = Pkt4.parse(DISCOVER);
  q.file = "boot.efi";
  const again = Pkt4.parse(q.pack());
  assert.equal(again.file, "boot.efi");
  assert.equal(again.sname, "server.example");
  assert.equal(again.getHWAddr().toText(false), "00:11:22:33:44:55");
});

test("copy-on-retrieve hands out a copy made from the bytes, which is what gets packed", () => {
  const p = Pkt4.parse(DISCOVER);
  p.setCopyRetrievedOptions(true);
  const hn = p.getOption(12)!;
  hn.setData(Buffer.from("bar"));
  p.setCopyRetrievedOptions(false);
  assert.equal(p.getNonCopiedOption(12), hn, "the copy took the option's place");
  assert.equal(Pkt4.parse(p.pack()).getOption(12)?.getData().toString(), "bar");

  const bytes = dhcp6(1, 1, [...opt6(1, [0, 3, 0, 1, 2, 3, 4, 5, 6, 7]), ...opt6(8, [0, 9])]);
  const q = Pkt6.parse(bytes);
  q.setCopyRetrievedOptions(true);
  const [elapsed] = q.getOptions(8);
  elapsed!.setUint16(100);
  assert.equal(Pkt6.parse(q.pack()).getOption(8)?.getUint16(), 100);
});

test("options added to or removed from a received packet are packed, in Kea's order", () => {
  const withRai = dhcp4([53, 1, 3, 12, 3, 0x66, 0x6f, 0x6f, 82, 4, 1, 2, 0x61, 0x62, 255]);
  const p = Pkt4.parse(withRai);
  assert.equal(p.delOption(12), true);
  p.addOption(new Option(4, 50, Buffer.from([198, 51, 100, 7])));
  assert.deepEqual(
    Pkt4.parse(p.pack())
      .getOptions()
      .map((o) => o.type),
    [53, 50, 82],
    "option 82 stays last",
  );
  assert.throws(() => p.addOption(new Option(4, 53, Buffer.from([1]))), /already present/);
  const q = Pkt6.parse(dhcp6(1, 1, [...opt6(8, [0, 1]), ...opt6(8, [0, 2]), ...opt6(6, [0, 23])]));
  assert.equal(q.delAllOptions(8), 2);
  assert.deepEqual(
    q.getOptions().map((o) => o.type),
    [6],
  );
});

test("malformed sub-options still refuse the packet at unpack, v4 and v6", () => {
  // Option 82 whose sub-option runs past the option's end.
  const rai = dhcp4([53, 1, 1, 82, 4, 1, 5, 0x61, 0x62, 255]);
  assert.throws(() => Pkt4.parse(rai), PacketParseError);
  // IA_NA whose sub-option runs past the IA's end.
  const ia = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 30, 1, 2];
  assert.throws(() => Pkt6.parse(dhcp6(1, 1, opt6(3, ia))), PacketParseError);
});

test("an IA_NA of a received packet has its sub-options at once; relays' options as before", () => {
  const iaaddr = opt6(5, [...Buffer.alloc(16, 1), 0, 0, 0, 10, 0, 0, 0, 20]);
  const p = Pkt6.parse(dhcp6(3, 1, opt6(3, [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, ...iaaddr])));
  const ia = p.getOption(3);
  assert.ok(ia instanceof Option6IA);
  assert.equal(ia.getIAID(), 7);
  assert.equal(ia.getOptions().length, 1);
});

test("a packet unpacked again reads its new bytes", () => {
  const p = Pkt4.parse(DISCOVER);
  p.data = dhcp4([53, 1, 3, 255]);
  p.unpack();
  assert.equal(p.getType(), 3);
  assert.equal(p.getOption(12), undefined);
  assert.equal(p.getClientId(), null);
});

test("a built packet's chaddr is the hardware address given, zero-padded, in every form", () => {
  const p = Pkt4.create(2, 7);
  const mac = Buffer.from([2, 0, 0, 0, 0, 9]);
  p.setHWAddr(1, mac);
  mac[5] = 0xff; // bytes given apart are copied
  assert.deepEqual(p.getChaddr(), Buffer.from([2, 0, 0, 0, 0, 9, ...Buffer.alloc(10)]));
  const q = Pkt4.create(2, 7);
  q.setHWAddr(new HWAddr(Buffer.from([2, 0, 0, 0, 0, 8]), 6));
  const wire = Pkt4.parse(q.pack());
  assert.equal(wire.htype, 6);
  assert.equal(wire.hlen, 6);
  assert.deepEqual(wire.getChaddr(), Buffer.from([2, 0, 0, 0, 0, 8, ...Buffer.alloc(10)]));
  assert.equal(q.getHWAddr().toText(), "hwtype=6 02:00:00:00:00:08");
  // A longer address, then a shorter one: no byte of the first is left behind.
  const r = Pkt4.parse(DISCOVER);
  r.setHWAddr(1, Buffer.from([0xaa, 0xbb]));
  assert.deepEqual(
    Pkt4.parse(r.pack()).getChaddr(),
    Buffer.from([0xaa, 0xbb, ...Buffer.alloc(14)]),
  );
});

test("option 53 set on several packets keeps each packet's own type", () => {
  const offer = Pkt4.create(2, 1);
  const ack = Pkt4.create(5, 1);
  const offer2 = Pkt4.create(2, 2);
  assert.deepEqual([offer.getType(), ack.getType(), offer2.getType()], [2, 5, 2]);
  offer2.setType(6);
  assert.deepEqual([offer.getType(), offer2.getType()], [2, 6]);
  assert.equal(Pkt4.parse(offer2.pack()).getType(), 6);
});

test("a packet refused while its options were entered leaves nothing to the next one", () => {
  // v4: option 12 entered, then option 82's sub-option runs past its end.
  assert.throws(() => Pkt4.parse(dhcp4([53, 1, 1, 12, 1, 0x61, 82, 3, 1, 5, 0x61, 255])));
  assert.deepEqual(
    Pkt4.parse(dhcp4([53, 1, 3, 255]))
      .getOptions()
      .map((o) => o.type),
    [53],
  );
  // v6: ELAPSED_TIME entered, then an IA_NA whose sub-option runs past its end.
  const badIa = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 30, 1, 2];
  assert.throws(() => Pkt6.parse(dhcp6(1, 1, [...opt6(8, [0, 1]), ...opt6(3, badIa)])));
  assert.deepEqual(
    Pkt6.parse(dhcp6(1, 2, opt6(6, [0, 23])))
      .getOptions()
      .map((o) => o.type),
    [6],
  );
});

test("getNonCopiedOptionData reads a payload from the bytes, else from the option made or added", () => {
  const def = name6();
  const bytes = dhcp6(3, 0x123456, [
    ...opt6(1, [0, 3, 0, 1, 2, 3, 4, 5, 6, 7]),
    ...opt6(900, [0x78, 0x79]),
    ...opt6(900, [0x7a]),
  ]);
  const p = Pkt6.parse(bytes, withDef(def));
  p.setCopyRetrievedOptions(true);
  assert.deepEqual([...p.getNonCopiedOptionData(900)!], [0x78, 0x79], "the first of the code");
  assert.equal(def.made, 0, "no object made for the read");
  assert.equal(p.getNonCopiedOptionData(2), undefined);
  // Made (by a read), then changed through the object: the object's payload is read.
  p.getNonCopiedOption(900)!.setData(Buffer.from([0x41]));
  assert.equal(def.made, 1);
  assert.deepEqual([...p.getNonCopiedOptionData(900)!], [0x41]);
  // Once the list is made (a callout listing the options), then the option deleted and another
  // added: the added one is read.
  assert.equal(p.getOptions().length, 3);
  p.delOption(900);
  assert.deepEqual([...p.getNonCopiedOptionData(900)!], [0x7a]);
  p.delOption(900);
  assert.equal(p.getNonCopiedOptionData(900), undefined);
  p.addOption(new Option(6, 900, Buffer.from([1, 2, 3])));
  assert.deepEqual([...p.getNonCopiedOptionData(900)!], [1, 2, 3]);
  assert.deepEqual(
    p.pack(),
    dhcp6(3, 0x123456, [...opt6(1, [0, 3, 0, 1, 2, 3, 4, 5, 6, 7]), ...opt6(900, [1, 2, 3])]),
  );
});
