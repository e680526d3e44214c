// Which configured options a response carries: always-send values from the most specific level,
// never-send and option classes (later Kea), sub-options of encapsulated spaces (option 43), and
// the vendor options 125 / 17 with Kea 2.2's rules for which enterprise and which sub-options.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { optionDefFromConfig, optionFromConfig } from "../../../../src/dhcp/option-data.ts";
import type { OptionDataConfig } from "../../../../src/dhcp/option-data.ts";
import { Option } from "../../../../src/dhcp/option.ts";
import { OptionVendor } from "../../../../src/dhcp/option-vendor.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { Pkt6 } from "../../../../src/dhcp/pkt6.ts";
import { OptionDefinitions, getStdOptionDefs } from "../../../../src/dhcp/std-option-defs.ts";
import { CfgOption } from "../../../../src/dhcpsrv/model/cfg-option.ts";
import {
  addAlwaysSendOptions,
  addConfiguredOption,
  addVendorOptions,
} from "../../../../src/dhcpsrv/processing/option-levels.ts";

const defs4 = new OptionDefinitions(getStdOptionDefs());
defs4.add(
  optionDefFromConfig(
    { name: "pxe-menu", code: 9, space: "vendor-encapsulated-options-space", type: "string" },
    4,
  ),
);

function level4(...entries: OptionDataConfig[]): CfgOption {
  return new CfgOption(
    entries.map((e) => optionFromConfig(e, { universe: 4, defs: defs4 })),
    "dhcp4",
  );
}

function level6(...entries: OptionDataConfig[]): CfgOption {
  return new CfgOption(
    entries.map((e) => optionFromConfig(e, { universe: 6 })),
    "dhcp6",
  );
}

/** The payload of option `code` of a response, sub-options included, in hex. */
const hexOf = (r: Pkt4 | Pkt6, code: number) =>
  r
    .getOption(code)
    ?.pack()
    .subarray(r instanceof Pkt4 ? 2 : 4)
    .toString("hex");
const wire = (o: Option | undefined) => o?.pack().toString("hex");
const response4 = () => Pkt4.create(2, 1);
const response6 = () => Pkt6.create(7, 1);

describe("always-send", () => {
  test("the code is sent unasked, with the value of the most specific level", () => {
    const subnet = level4({ name: "ntp-servers", data: "198.51.100.41" });
    const global = level4({ name: "ntp-servers", data: "198.51.100.40", "always-send": true });
    const r = response4();
    addAlwaysSendOptions(r, [subnet, global]);
    assert.equal(hexOf(r, 42), "c6336429");
  });

  test("an option already in the response stays as it is", () => {
    const r = response4();
    r.addOption(new Option(4, 42, Buffer.from([1, 2, 3, 4])));
    addAlwaysSendOptions(r, [
      level4({ name: "ntp-servers", data: "198.51.100.40", "always-send": true }),
    ]);
    assert.equal(hexOf(r, 42), "01020304");
    assert.equal(r.getOptions(42).length, 1);
  });
});

describe("never-send (later Kea)", () => {
  test("a code never-send at any level is not sent, asked for or always-send", () => {
    const subnet = level4({ name: "domain-name-servers", "never-send": true });
    const global = level4(
      { name: "domain-name-servers", data: "198.51.100.53", "always-send": true },
      { name: "ntp-servers", data: "198.51.100.40" },
    );
    const r = response4();
    addConfiguredOption(r, [subnet, global], 6);
    addAlwaysSendOptions(r, [subnet, global]);
    addConfiguredOption(r, [subnet, global], 42);
    assert.equal(r.getOption(6), undefined);
    assert.equal(hexOf(r, 42), "c6336428");
    // The same global option without the subnet's flag is sent.
    const other = response4();
    addAlwaysSendOptions(other, [global]);
    assert.equal(hexOf(other, 6), "c6336435");
  });
});

describe("client-classes of an option (later Kea)", () => {
  const global = level4(
    { name: "domain-name", data: "lab.example", "client-classes": ["lab"] },
    { name: "domain-name", data: "office.example", "client-classes": ["office", "hq"] },
    { name: "ntp-servers", data: "198.51.100.40", "always-send": true, "client-classes": ["lab"] },
  );
  const fallback = level4({ name: "domain-name", data: "any.example" });

  test("the first entry of the code whose classes the client is in", () => {
    const r = response4();
    addConfiguredOption(r, [global, fallback], 15, new Set(["ALL", "hq"]));
    assert.equal(hexOf(r, 15), Buffer.from("office.example").toString("hex"));
  });

  test("a client in none of them gets the next level's, and no class-only always-send", () => {
    const r = response4();
    addConfiguredOption(r, [global, fallback], 15, new Set(["ALL"]));
    addAlwaysSendOptions(r, [global, fallback], new Set(["ALL"]));
    assert.equal(hexOf(r, 15), Buffer.from("any.example").toString("hex"));
    assert.equal(r.getOption(42), undefined);
    const lab = response4();
    addAlwaysSendOptions(lab, [global, fallback], new Set(["lab"]));
    assert.equal(hexOf(lab, 42), "c6336428");
  });
});

describe("encapsulated spaces", () => {
  test("option 43 carries the level's options of vendor-encapsulated-options-space", () => {
    const level = level4(
      { name: "vendor-encapsulated-options" },
      { name: "pxe-menu", space: "vendor-encapsulated-options-space", data: "boot" },
    );
    const o = level.get(43)!.option;
    assert.equal(wire(o), "2b06" + "0904" + Buffer.from("boot").toString("hex"));
  });

  test("sub-options of another level are not taken", () => {
    const global = level4({
      name: "pxe-menu",
      space: "vendor-encapsulated-options-space",
      data: "boot",
    });
    const subnet = level4({ name: "vendor-encapsulated-options" });
    assert.equal(global.size, 0);
    assert.equal(wire(subnet.get(43)!.option), "2b00");
  });

  test("vendor spaces are not encapsulated at load time (Kea 2.2)", () => {
    const level = level4(
      { name: "vivso-suboptions", data: "4491" },
      { name: "tftp-servers", space: "vendor-4491", data: "198.51.100.69" },
    );
    assert.equal(level.get(125)!.option.getOptions().length, 0);
    assert.equal(level.vendors.get(4491)?.getFor(2, new Set())?.code, 2);
  });
});

describe("vendor options", () => {
  const docsis = level4(
    { name: "tftp-servers", space: "vendor-4491", data: "198.51.100.69" },
    { code: 5, space: "vendor-20000", data: "'acme'", "csv-format": false, "always-send": true },
  );

  test("v4: the sub-options the CableLabs ORO asks for, in a 125 of that enterprise", () => {
    const req = OptionVendor.create(4, 4491);
    req.addOption(new Option(4, 1, Buffer.from([2, 7])));
    const r = response4();
    addVendorOptions(r, [docsis], 4, 4491, req);
    assert.equal(hexOf(r, 125), "0000118b" + "06" + "0204c6336445");
  });

  test("v4: no sub-option found, no option 125", () => {
    const req = OptionVendor.create(4, 4491);
    req.addOption(new Option(4, 1, Buffer.from([7])));
    const r = response4();
    addVendorOptions(r, [docsis], 4, 4491, req);
    assert.equal(r.getOption(125), undefined);
  });

  test("always-send sub-options of the enterprise go into a copy of the response's 125", () => {
    const configured = OptionVendor.create(4, 20000);
    const r = response4();
    r.addOption(configured);
    addVendorOptions(r, [docsis], 4, 20000, undefined);
    assert.equal(hexOf(r, 125), "00004e20" + "06" + "0504" + Buffer.from("acme").toString("hex"));
    assert.equal(configured.getOptions().length, 0, "the configured option is left alone");
    assert.equal(r.getOptions(125).length, 1);
  });

  test("v6: the ORO of vendor 4491 asks in 16-bit codes", () => {
    const level = level6(
      { name: "config-file", space: "vendor-4491", data: "modem.cfg" },
      { name: "time-offset", space: "vendor-4491", data: "-3600" },
    );
    const req = OptionVendor.create(6, 4491);
    req.addOption(new Option(6, 1, Buffer.from("00210026", "hex")));
    const r = response6();
    addVendorOptions(r, [level], 6, 4491, req);
    assert.equal(
      hexOf(r, 17),
      "0000118b" + "00210009" + Buffer.from("modem.cfg").toString("hex") + "00260004fffff1f0",
    );
  });

  test("a vendor sub-option never-send at any level is left out", () => {
    const global = level6({ name: "config-file", space: "vendor-4491", data: "modem.cfg" });
    const subnet = level6({ name: "config-file", space: "vendor-4491", "never-send": true });
    const req = OptionVendor.create(6, 4491);
    req.addOption(new Option(6, 1, Buffer.from("0021", "hex")));
    const r = response6();
    addVendorOptions(r, [subnet, global], 6, 4491, req);
    assert.equal(r.getOption(17), undefined);
  });
});
