/**
 * flex_option's `options` parameter (Kea's checks and texts) and its processing of a response:
 * add, supersede and remove by expressions on the query, csv-format, client-class, the order of
 * the entries. (The library in the servers, beside Kea's: test/e2e/flex-option-kea.test.ts.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { DHO, HWAddr, Option, Pkt4, Pkt6 } from "nestor/dhcp";
import { applyOptions, parseOptions } from "../flex.ts";

function query(options: [number, string][] = [], classes: string[] = []): Pkt4 {
  const q = Pkt4.create(1, 1);
  q.setHWAddr(HWAddr.fromText("02:00:00:00:00:01"));
  for (const [code, text] of options) q.addOption(new Option(4, code, Buffer.from(text)));
  for (const c of classes) q.addClass(c);
  return q;
}

function response(options: [number, Buffer][] = []): Pkt4 {
  const r = Pkt4.create(2, 1);
  for (const [code, data] of options) r.addOption(new Option(4, code, data));
  return r;
}

const data = (p: Pkt4 | Pkt6, code: number) =>
  p.getOptions(code).map((o) => Buffer.from(o.getData()).toString("latin1"));

test("refusals carry Kea 2.2's texts", () => {
  const refused: [unknown, RegExp][] = [
    [undefined, /^'options' parameter is mandatory$/],
    [{}, /^'options' parameter must be a list$/],
    [[5], /^option element is not a map$/],
    [[{ add: "'x'" }], /^'code' or 'name' must be specified: \{ "add": "'x'" \}$/],
    [[{ code: "67", add: "'x'" }], /^'code' must be an integer: "67"$/],
    [[{ code: 300, add: "'x'" }], /^invalid 'code' value 300 not in \[0\.\.255\]$/],
    [[{ code: 0, add: "'x'" }], /^invalid 'code' value 0: reserved for PAD$/],
    [[{ code: 255, add: "'x'" }], /^invalid 'code' value 255: reserved for END$/],
    [[{ name: "no-such", add: "'x'" }], /^no known 'no-such' option in 'dhcp4' space$/],
    [
      [{ name: "routers", code: 4, add: "'x'" }],
      /^option 'routers' is defined as code: 3, not the specified code: 4$/,
    ],
    [[{ code: 222, add: "'x'", "csv-format": true }], /^no known option with code '222'/],
    [[{ code: 67 }], /^no action: \{ "code": 67 \}$/],
    [[{ code: 67, add: "" }], /^'add' must not be empty$/],
    [[{ code: 67, add: "'x'", remove: "'a' == 'a'" }], /^multiple actions: /],
    [[{ code: 67, add: "foo(" }], /^can't parse add expression \[foo\(\] error: /],
    [[{ code: 67, remove: "'x'" }], /^can't parse remove expression \['x'\] error: /],
  ];
  for (const [options, text] of refused) {
    assert.throws(
      () => parseOptions(options as never, 4),
      (e: unknown) => e instanceof Error && text.test(e.message),
      JSON.stringify(options),
    );
  }
});

test("add only when absent and not empty; supersede replaces every instance; remove when true", () => {
  const config = parseOptions(
    [
      { code: 67, add: "ifelse(option[12].exists, option[12].text, '')" },
      { code: 15, add: "'never'" },
      { code: 66, supersede: "ifelse(option[60].exists, option[60].text, '')" },
      { code: 3, remove: "option[60].text == 'drop-router'" },
    ],
    4,
  );
  const r1 = response([
    [15, Buffer.from("example.org")],
    [66, Buffer.from("a")],
    [3, Buffer.from([198, 51, 100, 1])],
  ]);
  applyOptions(
    4,
    config,
    query([
      [12, "pc7"],
      [60, "drop-router"],
    ]),
    r1,
    null,
  );
  assert.deepEqual(data(r1, 67), ["pc7"]);
  assert.deepEqual(data(r1, 15), ["example.org"], "add leaves a present option alone");
  assert.deepEqual(data(r1, 66), ["drop-router"], "superseded");
  assert.deepEqual(data(r1, 3), [], "removed");
  const r2 = response([
    [66, Buffer.from("a")],
    [3, Buffer.from([198, 51, 100, 1])],
  ]);
  applyOptions(4, config, query(), r2, null);
  assert.deepEqual(data(r2, 67), [], "an empty value adds nothing");
  assert.deepEqual(data(r2, 66), ["a"], "an empty value supersedes nothing");
  assert.equal(data(r2, 3).length, 1, "a false condition removes nothing");
});

test("csv-format builds the option from its definition; client-class limits an entry", () => {
  const config = parseOptions(
    [
      { name: "domain-name-servers", add: "'198.51.100.53, 198.51.100.54'", "csv-format": true },
      { code: 42, supersede: "'198.51.100.123'", "csv-format": true, "client-class": "lab" },
    ],
    4,
  );
  const plain = response();
  applyOptions(4, config, query(), plain, null);
  assert.deepEqual(
    Buffer.from(plain.getOption(DHO.DOMAIN_NAME_SERVERS)!.getData()),
    Buffer.from([198, 51, 100, 53, 198, 51, 100, 54]),
  );
  assert.equal(plain.getOption(42), undefined, "not in class lab");
  const lab = response();
  applyOptions(4, config, query([], ["lab"]), lab, null);
  assert.deepEqual(Buffer.from(lab.getOption(42)!.getData()), Buffer.from([198, 51, 100, 123]));
});

test("entries run in option code order, configuration order within a code (Kea's map)", () => {
  const config = parseOptions(
    [
      { code: 67, remove: "'a' == 'a'" },
      { code: 67, add: "'second'" },
      { code: 12, add: "'first'" },
    ],
    4,
  );
  assert.deepEqual(
    config.map((c) => [c.code, c.action]),
    [
      [12, "add"],
      [67, "remove"],
      [67, "add"],
    ],
  );
  const r = response([[67, Buffer.from("old")]]);
  applyOptions(4, config, query(), r, null);
  assert.deepEqual(data(r, 67), ["second"], "removed, then added");
});

test("DHCPv6: codes up to 65535, option names of the dhcp6 space", () => {
  const config = parseOptions(
    [
      { code: 65000, add: "'x'" },
      { name: "dns-servers", supersede: "'2001:db8::53'", "csv-format": true },
    ],
    6,
  );
  const q = Pkt6.create(1, 1);
  const r = Pkt6.create(2, 1);
  r.addOption(new Option(6, 23, Buffer.alloc(16)));
  r.addOption(new Option(6, 23, Buffer.alloc(16, 1)));
  applyOptions(6, config, q, r, null);
  assert.equal(r.getOptions(23).length, 1, "supersede replaces every instance");
  assert.deepEqual(data(r, 65000), ["x"]);
  assert.equal(
    Buffer.from(r.getOption(23)!.getData()).toString("hex"),
    "20010db8000000000000000000000053",
  );
  assert.throws(() => parseOptions([{ code: 0, add: "'x'" }], 6), /reserved/);
  assert.throws(() => parseOptions([{ code: 70000, add: "'x'" }], 6), /not in \[0\.\.65535\]/);
});
