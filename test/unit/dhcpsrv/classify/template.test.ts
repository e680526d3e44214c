// Template classes (later Kea's `template-test`): the value of a string expression spawns the
// class SPAWN_<template>_<value>; the query joins it and the template class, nothing when the value
// is empty; a class defined with the spawned name is joined that way too and comes first.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Option } from "../../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";
import { buildDhcp4Model } from "../../../../src/dhcpsrv/model/cfg4.ts";

function classes(list: string) {
  const { config, source } = parseConfigText(
    `{ "Dhcp4": { "client-classes": ${list},
       "subnet4": [ { "id": 1, "subnet": "198.51.100.0/24" } ] } }`,
    4,
    "kea.conf",
  );
  return buildDhcp4Model(config, "kea.conf", source).classes!;
}

function query(vendor?: string): Pkt4 {
  const p = Pkt4.create(1, 7);
  if (vendor !== undefined) p.addOption(new Option(4, 60, Buffer.from(vendor)));
  return p;
}

const TEMPLATE = `[
  { "name": "SPAWN_vendor_MSFT", "option-data": [ { "name": "domain-name", "data": "msft.example" } ] },
  { "name": "vendor", "template-test": "substring(option[60].hex, 0, 4)",
    "option-data": [ { "name": "domain-name", "data": "any.example" } ] },
  { "name": "after", "test": "member('SPAWN_vendor_Aast')" } ]`;

describe("template classes", () => {
  test("the value spawns SPAWN_<template>_<value>, then the template class is joined", () => {
    const c = classes(TEMPLATE);
    const q = query("Aastra 6757i");
    c.classify(q, null);
    assert.deepEqual([...q.classes], ["ALL", "SPAWN_vendor_Aast", "vendor", "after"]);
  });

  test("an empty value joins nothing", () => {
    const c = classes(TEMPLATE);
    const q = query();
    c.classify(q, null);
    assert.deepEqual([...q.classes], ["ALL"]);
  });

  test("a class defined with the spawned name is joined, and its options come first", () => {
    const c = classes(TEMPLATE);
    const q = query("MSFT 5.0");
    c.classify(q, null);
    assert.deepEqual([...q.classes], ["ALL", "SPAWN_vendor_MSFT", "vendor"]);
    const levels: import("../../../../src/dhcpsrv/model/cfg-option.ts").CfgOption[] = [];
    c.optionLevels(q, levels);
    const names = levels.map((l) => l.get(15)!.option.getData().toString());
    assert.deepEqual(names, ["msft.example", "any.example"]);
  });

  test("a template class only-if-required spawns when a subnet requires it", () => {
    const c = classes(
      `[ { "name": "late", "template-test": "option[60].text", "only-if-required": true } ]`,
    );
    const q = query("x1");
    c.classify(q, null);
    assert.deepEqual([...q.classes], ["ALL"]);
    c.classifyRequired(q, [{ name: "late", untestedJoins: false }]);
    assert.deepEqual([...q.classes], ["ALL", "SPAWN_late_x1", "late"]);
  });

  test("a template depending on KNOWN is evaluated after the reservation lookup", () => {
    const c = classes(
      `[ { "name": "k", "template-test": "ifelse(member('KNOWN'), 'yes', 'no')" } ]`,
    );
    const q = query();
    c.classify(q, null);
    assert.deepEqual([...q.classes], ["ALL"]);
    c.classifyKnown(q, true, []);
    assert.deepEqual([...q.classes], ["ALL", "KNOWN", "SPAWN_k_yes", "k"]);
  });

  test("test and template-test together are refused; a boolean template is a syntax error", () => {
    const both = (() => {
      try {
        classes(`[ { "name": "a", "test": "member('ALL')", "template-test": "'x'" } ]`);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(both instanceof ConfigFileError);
    assert.equal(both.path, "Dhcp4.client-classes[0].template-test");
    assert.match(both.message, /either 'test' or 'template-test'/);
    assert.throws(
      () => classes(`[ { "name": "a", "template-test": "member('ALL')" } ]`),
      /client-classes\[0\]\.template-test: expression \[member\('ALL'\)\] error at character 1: syntax error/,
    );
  });
});
