import { test } from "node:test";
import assert from "node:assert/strict";
import {
  getLastResortOptionDefs,
  getStdOptionDefs,
  getStdOptionSpaces,
} from "../../../src/dhcp/std-option-defs.ts";
import type { OptionDefinition } from "../../../src/dhcp/option-definition.ts";
import type { OptionDataTypeName } from "../../../src/dhcp/option-data-types.ts";
import { optionFromConfig, optionToConfig } from "../../../src/dhcp/option-data.ts";
import { unpackOptions } from "../../../src/dhcp/libdhcp.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";

/** One option-data value per data type, in the canonical text the server writes back. */
const SAMPLE: Record<OptionDataTypeName, string> = {
  empty: "",
  binary: "0A0B0C",
  boolean: "true",
  int8: "-5",
  int16: "-300",
  int32: "-70000",
  uint8: "205", // bit 2 set: for the v4 client FQDN flags this means "wire-format name"
  uint16: "50000",
  uint32: "4000000000",
  "ipv4-address": "192.0.2.1",
  "ipv6-address": "2001:db8::1",
  "ipv6-prefix": "2001:db8:1::/48",
  psid: "3/4",
  record: "",
  string: "some text",
  tuple: "tuple text",
  fqdn: "example.com.",
  internal: "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 10.0.0.1",
};

function sampleFor(def: OptionDefinition): string {
  if (def.type === "record") {
    const fields = def.recordFields.map((t) => SAMPLE[t]);
    if (def.array) fields.push(SAMPLE[def.recordFields[def.recordFields.length - 1]!]);
    return fields.join(", ");
  }
  if (def.array) return `${SAMPLE[def.type]}, ${SAMPLE[def.type]}`;
  return SAMPLE[def.type];
}

const std = getStdOptionDefs();
const allDefs: OptionDefinition[] = [];
for (const space of std.spaces()) allDefs.push(...std.getAll(space));
allDefs.push(...getLastResortOptionDefs().getAll("dhcp4"));

for (const def of allDefs) {
  test(`${def.space}/${def.name} (${def.code}, ${def.type}${def.array ? " array" : ""}): config text -> option -> wire -> option -> the same config text`, () => {
    const data = sampleFor(def);
    const entry = { name: def.name, space: def.space, data };
    const { option } = optionFromConfig(entry, { universe: def.universe });
    assert.equal(option.type, def.code);
    const wire = option.pack();
    const [parsed, ...rest] = unpackOptions(def.universe, def.space, wire, 0, wire.length, std, 0);
    assert.equal(rest.length, 0);
    if (def.space === "dhcp4" && def.code === 43) {
      // Packets keep option 43 as bytes (Kea defers it to the vendor's definition).
      assert.equal(parsed!.getData().length, 0);
      return;
    }
    assert.ok(parsed instanceof OptionCustom, "parsed with its definition, not kept as bytes");
    assert.deepEqual(parsed.pack(), wire, "packs back byte for byte");
    const back = optionToConfig(parsed, def.space);
    assert.equal(back.name, def.name);
    assert.equal(back.code, def.code);
    assert.equal(back["csv-format"], true);
    assert.equal(back.data, data);
  });
}

test("the tables hold the option names, codes and types Kea uses", () => {
  const v4 = (name: string) => std.getByName("dhcp4", name)!;
  const v6 = (name: string) => std.getByName("dhcp6", name)!;
  assert.deepEqual(
    [
      v4("domain-name-servers").code,
      v4("domain-name-servers").type,
      v4("domain-name-servers").array,
    ],
    [6, "ipv4-address", true],
  );
  assert.deepEqual(
    [v4("dhcp-server-identifier").code, v4("dhcp-server-identifier").type],
    [54, "ipv4-address"],
  );
  assert.deepEqual(
    [v4("fqdn").code, v4("fqdn").recordTypesText],
    [81, "uint8, uint8, uint8, fqdn"],
  );
  assert.deepEqual(
    [v4("dhcp-agent-options").code, v4("dhcp-agent-options").encapsulate],
    [82, "dhcp-agent-options-space"],
  );
  assert.deepEqual(
    [v4("subnet-selection").code, v4("domain-search").code, v4("domain-search").type],
    [118, 119, "fqdn"],
  );
  assert.deepEqual(
    [v4("classless-static-route").code, v4("classless-static-route").type],
    [121, "internal"],
  );
  assert.deepEqual([v4("vivco-suboptions").code, v4("vivso-suboptions").code], [124, 125]);
  assert.equal(std.getByName("dhcp-agent-options-space", "circuit-id")!.code, 1);
  assert.equal(std.getByName("dhcp-agent-options-space", "remote-id")!.code, 2);
  assert.equal(
    getLastResortOptionDefs().getByName("dhcp4", "vendor-encapsulated-options")!.code,
    43,
  );
  assert.deepEqual(
    [v6("dns-servers").code, v6("dns-servers").type, v6("dns-servers").array],
    [23, "ipv6-address", true],
  );
  assert.deepEqual(
    [v6("ia-na").code, v6("ia-na").recordTypesText, v6("ia-na").encapsulate],
    [3, "uint32, uint32, uint32", "dhcp6"],
  );
  assert.deepEqual(
    [v6("iaaddr").code, v6("iaaddr").recordTypesText],
    [5, "ipv6-address, uint32, uint32"],
  );
  assert.deepEqual(
    [v6("status-code").code, v6("status-code").recordTypesText],
    [13, "uint16, string"],
  );
  assert.deepEqual([v6("bootfile-url").code, v6("bootfile-url").type], [59, "string"]);
  assert.deepEqual(
    [v6("bootfile-param").code, v6("bootfile-param").type, v6("bootfile-param").array],
    [60, "tuple", true],
  );
  assert.deepEqual([v6("vendor-opts").code, v6("vendor-opts").type], [17, "uint32"]);
  assert.equal(std.get("dhcp4", 43), undefined, "option 43 is not parsed by a standard definition");
});

test("every standard space knows its universe", () => {
  const spaces = getStdOptionSpaces();
  for (const space of std.spaces()) {
    if (space !== "vendor-4491") assert.ok(spaces.has(space), space);
  }
  assert.equal(spaces.get("dhcp-agent-options-space"), 4);
  assert.equal(spaces.get("s46-cont-mape-options"), 6);
});
