import { test } from "node:test";
import assert from "node:assert/strict";
import {
  optionDefFromConfig,
  optionFromConfig,
  optionToConfig,
  optionToConfigList,
  splitCsv,
} from "../../../src/dhcp/option-data.ts";
import { OptionDataError } from "../../../src/dhcp/errors.ts";
import { OptionDefinitions, getStdOptionDefs } from "../../../src/dhcp/std-option-defs.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";
import { OptionVendor } from "../../../src/dhcp/option-vendor.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { unpackOptions } from "../../../src/dhcp/libdhcp.ts";

const V4 = { universe: 4 } as const;
const V6 = { universe: 6 } as const;

function optionDataError(fn: () => unknown): OptionDataError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OptionDataError, `expected OptionDataError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected an OptionDataError");
}

test("an entry by name defaults to space dhcp4/dhcp6 and csv-format true", () => {
  const d = optionFromConfig({ name: "domain-name-servers", data: "192.0.2.1, 192.0.2.2" }, V4);
  assert.equal(d.space, "dhcp4");
  assert.equal(d.code, 6);
  assert.equal(d.csvFormat, true);
  assert.equal(d.alwaysSend, false);
  assert.equal(d.neverSend, false);
  assert.deepEqual([...d.option.pack()], [6, 8, 192, 0, 2, 1, 192, 0, 2, 2]);
  assert.equal(optionFromConfig({ name: "dns-servers", data: "2001:db8::1" }, V6).space, "dhcp6");
});

test("always-send, never-send and client-classes are carried over", () => {
  const d = optionFromConfig(
    {
      name: "routers",
      data: "10.0.0.1",
      "always-send": true,
      "never-send": true,
      "client-classes": ["a"],
    },
    V4,
  );
  assert.deepEqual([d.alwaysSend, d.neverSend, d.clientClasses], [true, true, ["a"]]);
});

test("an entry by code finds the standard definition; name and code must agree", () => {
  assert.equal(optionFromConfig({ code: 3, data: "10.0.0.1" }, V4).name, "routers");
  assert.match(
    optionDataError(() => optionFromConfig({ name: "routers", code: 4, data: "10.0.0.1" }, V4))
      .message,
    /name does not match the definition 'dhcp4.time-servers' of code 4/,
  );
});

test("csv-format false takes hex with 0x, colons or spaces, and pads an odd digit count", () => {
  for (const data of ["0x0a000001", "0a000001", "0a:00:00:01", "0a 00 00 01", "a000001"]) {
    const d = optionFromConfig({ name: "routers", "csv-format": false, data }, V4);
    assert.equal((d.option as OptionCustom).readAddress(), "10.0.0.1", data);
  }
});

test("an option without a definition needs hex data and is kept as bytes", () => {
  const d = optionFromConfig({ code: 224, data: "01:02:03" }, V4);
  assert.equal(d.def, undefined);
  assert.equal(d.csvFormat, false);
  assert.deepEqual([...d.option.pack()], [224, 3, 1, 2, 3]);
  assert.deepEqual(optionToConfig(d.option), {
    code: 224,
    space: "dhcp4",
    "csv-format": false,
    data: "010203",
  });
  assert.match(
    optionDataError(() => optionFromConfig({ code: 224, "csv-format": true, data: "1" }, V4))
      .reason,
    /no definition for code 224.*csv-format false/,
  );
});

test("csv-format false also takes a single-quoted string as its bytes", () => {
  const d = optionFromConfig({ code: 60, "csv-format": false, data: "'PXEClient'" }, V4);
  assert.equal((d.option as OptionCustom).readString(), "PXEClient");
  const raw = optionFromConfig({ code: 224, data: "'abc'" }, V4);
  assert.deepEqual([...raw.option.getData()], [0x61, 0x62, 0x63]);
});

test("the CSV text is kept exactly as configured for config-get", () => {
  const d = optionFromConfig({ name: "routers", data: "10.0.0.1,10.0.0.2" }, V4);
  assert.equal(d.formattedValue, "10.0.0.1,10.0.0.2");
  assert.equal(
    optionToConfig(d.option).data,
    "10.0.0.1, 10.0.0.2",
    "canonical text from the option",
  );
});

test("a name and a code without a definition give an option kept as bytes (as Kea)", () => {
  const d = optionFromConfig({ name: "my-opt", code: 224, data: "01" }, V4);
  assert.deepEqual([...d.option.pack()], [224, 1, 1]);
});

test("commas inside a string are escaped with a backslash", () => {
  assert.deepEqual(splitCsv("a\\,b, c\\\\d,,e\\x"), ["a,b", " c\\d", "e\\x"]);
  const d = optionFromConfig({ name: "new-posix-timezone", data: "EST5EDT4\\,M3.2.0/02:00" }, V6);
  assert.equal((d.option as OptionCustom).readString(), "EST5EDT4,M3.2.0/02:00");
  assert.equal(optionToConfig(d.option).data, "EST5EDT4\\,M3.2.0/02:00");
});

test("a single-value option uses the first CSV value, as Kea does", () => {
  const d = optionFromConfig({ name: "host-name", data: "  foo , bar" }, V4);
  assert.equal((d.option as OptionCustom).readString(), "foo");
});

test("integers, booleans and addresses are checked and the option named in the error", () => {
  const e = optionDataError(() => optionFromConfig({ name: "default-ip-ttl", data: "256" }, V4));
  assert.equal(e.code, "NESTOR_OPTION_DATA");
  assert.equal(e.option, "default-ip-ttl");
  assert.match(e.message, /^option 'default-ip-ttl': 256 is out of range 0\.\.255 for uint8/);
  assert.match(
    optionDataError(() => optionFromConfig({ name: "ip-forwarding", data: "yes" }, V4)).reason,
    /boolean/,
  );
  assert.match(
    optionDataError(() => optionFromConfig({ name: "routers", data: "10.0.0.256" }, V4)).reason,
    /IPv4/,
  );
  assert.match(
    optionDataError(() => optionFromConfig({ name: "dns-servers", data: "2001:db8::g" }, V6))
      .reason,
    /IPv6/,
  );
  assert.match(
    optionDataError(() =>
      optionFromConfig({ name: "routers", "csv-format": false, data: "0g" }, V4),
    ).reason,
    /hexadecimal/,
  );
  assert.match(
    optionDataError(() => optionFromConfig({ name: "no-such-option", data: "" }, V4)).reason,
    /no definition/,
  );
  assert.match(
    optionDataError(() => optionFromConfig({ code: 255, data: "" }, V4)).reason,
    /PAD\/END/,
  );
  assert.match(
    optionDataError(() => optionFromConfig({ name: "ia-na", data: "1, 2" }, V6)).reason,
    /3 record fields expected, 2 given/,
  );
  assert.match(
    optionDataError(() =>
      optionFromConfig({ name: "routers", "csv-format": false, data: "0a0000" }, V4),
    ).reason,
    /does not match/,
  );
});

test("booleans accept true/false in any case and 1/0; integers accept 0x hex", () => {
  const t = optionFromConfig({ name: "ip-forwarding", data: "TRUE" }, V4).option as OptionCustom;
  assert.equal(t.readBoolean(), true);
  assert.equal(
    (
      optionFromConfig({ name: "ip-forwarding", data: "0" }, V4).option as OptionCustom
    ).readBoolean(),
    false,
  );
  assert.equal(
    (
      optionFromConfig({ name: "interface-mtu", data: "0x5dc" }, V4).option as OptionCustom
    ).readInteger(),
    1500,
  );
});

test("an empty array option (routers with no data) is allowed and empty", () => {
  assert.deepEqual([...optionFromConfig({ name: "routers", data: "" }, V4).option.pack()], [3, 0]);
});

test("an array record repeats its last field (option-6rd border relays)", () => {
  const d = optionFromConfig(
    { name: "option-6rd", data: "16, 32, 2001:db8::, 192.0.2.1, 192.0.2.2" },
    V4,
  );
  assert.equal((d.option as OptionCustom).getDataFieldsNum(), 5);
  assert.equal(optionToConfig(d.option).data, "16, 32, 2001:db8::, 192.0.2.1, 192.0.2.2");
});

test("classless static routes use Kea's 'prefix - router' text", () => {
  const d = optionFromConfig(
    { name: "classless-static-route", data: "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 10.0.0.1" },
    V4,
  );
  assert.deepEqual([...d.option.getData()], [25, 10, 229, 0, 128, 10, 229, 0, 1, 0, 10, 0, 0, 1]);
  assert.match(
    optionDataError(() =>
      optionFromConfig({ name: "classless-static-route", data: "10.0.0.1/8 - 10.0.0.1" }, V4),
    ).reason,
    /bits set past \/8/,
  );
});

test("classless static routes can be rewritten by value", () => {
  const o = optionFromConfig({ name: "classless-static-route", data: "0.0.0.0/0 - 10.0.0.1" }, V4)
    .option as OptionCustom;
  o.setValues(["192.168.0.0/16 - 10.0.0.2"]);
  assert.equal(optionToConfig(o).data, "192.168.0.0/16 - 10.0.0.2");
});

test("vendor options by config: enterprise number as data, sub-options in vendor-<id>", () => {
  const v = optionFromConfig({ name: "vivso-suboptions", data: "4491" }, V4).option as OptionVendor;
  assert.ok(v instanceof OptionVendor);
  v.addOption(new Option(4, 200, Buffer.from("abc")));
  assert.deepEqual([...v.pack()], [125, 10, 0, 0, 0x11, 0x8b, 5, 200, 3, 0x61, 0x62, 0x63]);
  assert.deepEqual(
    optionToConfigList(v).map((e) => [e.space, e.name ?? e.code, e.data]),
    [
      ["dhcp4", "vivso-suboptions", "4491"],
      ["vendor-4491", 200, "616263"],
    ],
  );
});

test("DOCSIS 3 (vendor 4491) sub-options have Kea's definitions in each universe", () => {
  const v4 = optionFromConfig(
    { name: "tftp-servers", space: "vendor-4491", data: "10.0.0.1" },
    V4,
  ).option;
  assert.deepEqual([...v4.pack()], [2, 4, 10, 0, 0, 1]);
  const v6 = optionFromConfig(
    { name: "tftp-servers", space: "vendor-4491", data: "2001:db8::1" },
    V6,
  ).option;
  assert.equal(v6.type, 32);
  const vendor = OptionVendor.create(6, 4491);
  vendor.addOption(
    optionFromConfig({ name: "config-file", space: "vendor-4491", data: "cm.cfg" }, V6).option,
  );
  const back = unpackOptions(
    6,
    "dhcp6",
    vendor.pack(),
    0,
    vendor.pack().length,
    getStdOptionDefs(),
    0,
  );
  assert.equal(((back[0] as OptionVendor).getOption(33) as OptionCustom).readString(), "cm.cfg");
});

test("option 82 with sub-options converts to one entry per option in its space", () => {
  const p = Pkt4.parse(
    Buffer.concat([
      Buffer.alloc(236),
      Buffer.from([0x63, 0x82, 0x53, 0x63, 82, 10, 1, 2, 0xa, 0xb, 5, 4, 10, 1, 2, 0, 255]),
    ]),
  );
  assert.deepEqual(optionToConfigList(p.getOption(82)!), [
    { name: "dhcp-agent-options", code: 82, space: "dhcp4", "csv-format": true, data: "" },
    {
      name: "circuit-id",
      code: 1,
      space: "dhcp-agent-options-space",
      "csv-format": true,
      data: "0A0B",
    },
    {
      name: "link-selection",
      code: 5,
      space: "dhcp-agent-options-space",
      "csv-format": true,
      data: "10.1.2.0",
    },
  ]);
});

test("vendor-encapsulated-options (43) can be configured by name", () => {
  const d = optionFromConfig({ name: "vendor-encapsulated-options", data: "" }, V4);
  assert.equal(d.code, 43);
  assert.equal(d.option.encapsulatedSpace, "vendor-encapsulated-options-space");
});

test("a custom option-def makes options usable by name, in and out of packets", () => {
  const defs = new OptionDefinitions(getStdOptionDefs());
  defs.add(
    optionDefFromConfig(
      { name: "tftp-servers", code: 150, type: "ipv4-address", array: true, space: "dhcp4" },
      4,
    ),
  );
  defs.add(
    optionDefFromConfig(
      { name: "my-rec", code: 222, type: "record", "record-types": "uint16, ipv4-address, string" },
      4,
    ),
  );
  const ctx = { universe: 4, defs } as const;
  const tftp = optionFromConfig({ name: "tftp-servers", data: "10.0.0.5, 10.0.0.6" }, ctx).option;
  const rec = optionFromConfig({ name: "my-rec", data: "7, 10.0.0.1, hello" }, ctx).option;
  const p = Pkt4.create(5, 1, defs);
  p.addOption(tftp);
  p.addOption(rec);
  const back = Pkt4.parse(p.pack(), defs);
  assert.equal((back.getOption(150) as OptionCustom).readAddress(1), "10.0.0.6");
  assert.equal(optionToConfig(back.getOption(222)!, "dhcp4", defs).data, "7, 10.0.0.1, hello");
  assert.ok(
    !(Pkt4.parse(p.pack()).getOption(150) instanceof OptionCustom),
    "without the definition: bytes",
  );
});

test("option-def entries are validated as Kea does", () => {
  const bad = (entry: Parameters<typeof optionDefFromConfig>[0], re: RegExp) =>
    assert.match(optionDataError(() => optionDefFromConfig(entry, 4)).reason, re);
  bad({ name: "-x", code: 200, type: "uint8" }, /invalid option name/);
  bad({ name: "x", code: 256, type: "uint8" }, /out of range/);
  bad({ name: "x", code: 200, type: "float" }, /unknown option type/);
  bad({ name: "x", code: 200, type: "string", array: true }, /array of string/);
  bad({ name: "x", code: 200, type: "record", "record-types": "uint8" }, /at least 2/);
  bad({ name: "x", code: 200, type: "record", "record-types": "string, uint8" }, /last field/);
  bad(
    { name: "x", code: 200, type: "uint8", array: true, encapsulate: "foo" },
    /cannot encapsulate/,
  );
  const defs = new OptionDefinitions(getStdOptionDefs());
  assert.throws(
    () => defs.add(optionDefFromConfig({ name: "my-routers", code: 3, type: "ipv4-address" }, 4)),
    /standard option/,
  );
});

test("a definition prints back as its option-def entry", () => {
  assert.deepEqual(getStdOptionDefs().getByName("dhcp6", "iaprefix")!.toConfig(), {
    name: "iaprefix",
    code: 26,
    type: "record",
    array: false,
    "record-types": "uint32, uint32, uint8, ipv6-address",
    space: "dhcp6",
    encapsulate: "dhcp6",
  });
});

test("a vendor option given as hex keeps its sub-options (as bytes)", () => {
  const d = optionFromConfig(
    { name: "vendor-opts", "csv-format": false, data: "0000118b 0020 0002 0102".replace(/ /g, "") },
    V6,
  );
  const v = d.option as OptionVendor;
  assert.equal(v.getVendorId(), 4491);
  assert.deepEqual([...v.getOption(32)!.getData()], [1, 2]);
});

test("a custom space may reuse IA codes without getting the IA classes", () => {
  const defs = new OptionDefinitions(getStdOptionDefs());
  defs.add(optionDefFromConfig({ name: "three", code: 3, type: "uint8", space: "my-space" }, 6));
  const o = optionFromConfig(
    { name: "three", space: "my-space", data: "7" },
    { universe: 6, defs },
  );
  assert.equal(o.option.constructor, OptionCustom);
  assert.equal((o.option as OptionCustom).readInteger(), 7);
});
