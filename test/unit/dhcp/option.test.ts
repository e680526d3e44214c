import { test } from "node:test";
import assert from "node:assert/strict";
import { Option } from "../../../src/dhcp/option.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";
import { getStdOptionDefs } from "../../../src/dhcp/std-option-defs.ts";
import { optionFromConfig } from "../../../src/dhcp/option-data.ts";
import { BadValue } from "../../../src/dhcp/errors.ts";
import { FqdnFlag, OptionClientFqdn } from "../../../src/dhcp/option-client-fqdn.ts";

const def = (space: string, name: string) => getStdOptionDefs().getByName(space, name)!;

test("a DHCPv4 option packs as code, length, payload", () => {
  const o = new Option(4, 224, Buffer.from([1, 2, 3]));
  assert.deepEqual([...o.pack()], [224, 3, 1, 2, 3]);
  assert.equal(o.len(), 5);
  assert.equal(o.getHeaderLen(), 2);
});

test("a DHCPv6 option packs with 16-bit code and length, sub-options after the data", () => {
  const o = new Option(6, 1000, Buffer.from([9]));
  o.addOption(new Option(6, 1, Buffer.from([7])));
  assert.deepEqual([...o.pack()], [3, 232, 0, 6, 9, 0, 1, 0, 1, 7]);
  assert.equal(o.getOption(1)!.getData()[0], 7);
  assert.equal(o.delOption(1), true);
  assert.equal(o.getOptions().length, 0);
});

test("option codes outside the universe's range are refused", () => {
  assert.throws(() => new Option(4, 256), BadValue);
  assert.throws(() => new Option(6, 65536), BadValue);
  assert.throws(() => new Option(4, 1).addOption(new Option(6, 1)), /DHCPv6 option to a DHCPv4/);
});

test("clone is deep: changing the copy's data or sub-options leaves the original as it was", () => {
  const o = new Option(4, 82);
  o.addOption(new Option(4, 1, Buffer.from([1])));
  const c = o.clone();
  c.getOption(1)!.setData(Buffer.from([2]));
  c.addOption(new Option(4, 2));
  assert.deepEqual([...o.pack()], [82, 3, 1, 1, 1]);
  assert.ok(!o.equals(c));
  assert.ok(o.equals(o.clone()));
});

test("typed options clone to the same class with the same values", () => {
  const o = optionFromConfig({ name: "ia-na", data: "1, 2, 3" }, { universe: 6 }).option;
  const c = o.clone();
  assert.equal(c.constructor, o.constructor);
  assert.deepEqual((c as OptionCustom).getValues(), [1, 2, 3]);
});

test("toText shows code and length in Kea's widths, values for typed options", () => {
  assert.equal(new Option(4, 53, Buffer.from([1])).toText(), "type=053, len=001: 01");
  assert.equal(new Option(6, 8, Buffer.from([0, 1])).toText(), "type=00008, len=00002: 00:01");
  const rai = new Option(4, 82);
  rai.addOption(new Option(4, 1, Buffer.from([0xab])));
  assert.equal(rai.toText(), "type=082, len=003: ,\noptions:\n  type=001, len=001: ab");
});

test("OptionCustom reads and writes values by field index", () => {
  const o = new OptionCustom(def("dhcp4", "routers"), 4);
  o.addArrayDataField("10.0.0.1");
  o.addArrayDataField("10.0.0.2");
  assert.deepEqual(o.getValues(), ["10.0.0.1", "10.0.0.2"]);
  o.writeValue("10.0.0.3", 1);
  assert.equal(o.readAddress(1), "10.0.0.3");
  assert.deepEqual([...o.pack()], [3, 8, 10, 0, 0, 1, 10, 0, 0, 3]);
  assert.throws(() => o.readAddress(2), /no data field 2/);
  assert.throws(() => o.readInteger(0), /not a number/);
});

test("OptionCustom records keep their layout; setData refuses bytes that do not fit", () => {
  const st = optionFromConfig({ name: "status-code", data: "2, no addresses" }, { universe: 6 })
    .option as OptionCustom;
  assert.equal(st.readInteger(0), 2);
  assert.equal(st.readString(1), "no addresses");
  assert.throws(() => st.setData(Buffer.from([1])), /does not match/);
  const ttl = new OptionCustom(def("dhcp4", "default-ip-ttl"), 4, Buffer.from([64]));
  assert.throws(() => ttl.addArrayDataField(1), /not an array/);
  assert.throws(() => ttl.writeValue(300), /out of range/);
});

test("integer fields decode with their sign and width", () => {
  const o = optionFromConfig({ name: "time-offset", data: "-3600" }, { universe: 4 }).option;
  assert.deepEqual([...o.getData()], [0xff, 0xff, 0xf1, 0xf0]);
  assert.equal((o as OptionCustom).readInteger(), -3600);
});

test("prefix and PSID fields read as structured values", () => {
  const pd = optionFromConfig({ name: "pd-exclude", data: "2001:db8:1:8000::/49" }, { universe: 6 })
    .option as OptionCustom;
  assert.deepEqual([...pd.getData()], [49, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0x80]);
  assert.deepEqual(pd.readPrefix(), { prefix: "2001:db8:1:8000::", length: 49 });
  const pp = optionFromConfig({ name: "v4-portparams", data: "2, 3/4" }, { universe: 4 })
    .option as OptionCustom;
  assert.deepEqual([...pp.getData()], [2, 4, 0x30, 0]);
  assert.deepEqual(pp.readPsid(1), { psid: 3, psidLen: 4 });
});

test("FQDN arrays use RFC 1035 labels on the wire", () => {
  const o = optionFromConfig(
    { name: "domain-search", data: "a.example., b." },
    { universe: 4 },
  ).option;
  assert.deepEqual([...o.getData()], [1, 0x61, 7, ...Buffer.from("example"), 0, 1, 0x62, 0]);
  assert.deepEqual((o as OptionCustom).getValues(), ["a.example.", "b."]);
  assert.throws(
    () => optionFromConfig({ name: "domain-search", data: "a..b" }, { universe: 4 }),
    /empty label/,
  );
});

test("the v6 client FQDN writes a partial name without the root label", () => {
  const o = optionFromConfig({ name: "client-fqdn", data: "1, host" }, { universe: 6 }).option;
  assert.deepEqual([...o.getData()], [1, 4, ...Buffer.from("host")]);
  const full = optionFromConfig({ name: "client-fqdn", data: "1, host.example." }, { universe: 6 });
  assert.equal((full.option as OptionCustom).readFqdn(1), "host.example.");
});

test("an OptionCustom built directly from bytes that do not fit refuses to read them", () => {
  const o = new OptionCustom(def("dhcp4", "routers"), 4, Buffer.from([1, 2, 3]));
  assert.throws(() => o.getValues(), /does not match the format of option 'routers'/);
  assert.deepEqual([...o.pack()], [3, 3, 1, 2, 3], "the bytes still go out as given");
});

test("client FQDN options expose flags and the name, full or partial (v4 81, v6 39)", () => {
  const v4 = optionFromConfig({ name: "fqdn", data: "5, 0, 0, host" }, { universe: 4 })
    .option as OptionClientFqdn;
  assert.ok(v4 instanceof OptionClientFqdn);
  assert.equal(v4.getFlag(FqdnFlag.S), true);
  assert.equal(v4.getFlag(FqdnFlag.E), true);
  assert.equal(v4.getDomainName(), "host");
  assert.equal(v4.getDomainNameType(), "partial");
  v4.setDomainName("host.example.com.");
  v4.setFlag(v4.flagN(), true);
  assert.deepEqual([...v4.getData().subarray(0, 4)], [13, 0, 0, 4]);
  assert.equal(v4.getDomainNameType(), "full");
  const v6 = optionFromConfig({ name: "client-fqdn", data: "1, host.example." }, { universe: 6 })
    .option as OptionClientFqdn;
  v6.setFlag(FqdnFlag.S, false);
  v6.setFlag(FqdnFlag.O, true);
  assert.equal(v6.getFlags(), 2);
  assert.equal(v6.getDomainName(), "host.example.");
});

test("the v4 client FQDN name switches encoding with the E flag", () => {
  const o = optionFromConfig({ name: "fqdn", data: "4, 0, 0, a.b." }, { universe: 4 })
    .option as OptionClientFqdn;
  assert.deepEqual([...o.getData()], [4, 0, 0, 1, 0x61, 1, 0x62, 0]);
  o.setFlag(FqdnFlag.E, false);
  assert.deepEqual([...o.getData()], [0, 0, 0, ...Buffer.from("a.b.")]);
});

test("Kea's integer accessors read and write the start of a plain option's payload", () => {
  const o = new Option(4, 224);
  o.setUint32(0x01020304);
  assert.equal(o.getUint32(), 0x01020304);
  assert.equal(o.getUint16(), 0x0102);
  assert.equal(o.getUint8(), 1);
  o.setUint16(0xabcd);
  assert.equal(o.toHexString(), "0xABCD");
  assert.equal(o.toHexString(true), "0xE002ABCD");
  o.setUint8(7);
  assert.throws(() => o.getUint16(), /1 bytes of data, 2 needed/);
});
