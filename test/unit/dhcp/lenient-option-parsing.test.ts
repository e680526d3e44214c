// compatibility.lenient-option-parsing (Kea's Option::lenient_parsing_): a tuple whose length
// runs past the end of its option is the rest of the option instead of a malformed option. The
// side-by-side proof against Kea 2.2 is test/e2e/lenient-options-kea.test.ts.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { fieldLength, setLenientOptionParsing } from "../../../src/dhcp/option-data-types.ts";
import { OptionCustom } from "../../../src/dhcp/option-custom.ts";
import { getStdOptionDefs } from "../../../src/dhcp/std-option-defs.ts";

afterEach(() => setLenientOptionParsing(false));

// v6 tuple: two-byte length 9 + 20, then "docsis3.0" (9 bytes).
const overlong6 = Buffer.concat([Buffer.from([0, 29]), Buffer.from("docsis3.0")]);

test("strict: an overlong tuple does not fit", () => {
  assert.equal(fieldLength("tuple", overlong6, 0, overlong6.length, 6, true), -1);
});

test("lenient: an overlong tuple is the rest of the option", () => {
  setLenientOptionParsing(true);
  assert.equal(fieldLength("tuple", overlong6, 0, overlong6.length, 6, true), overlong6.length);
  const v4 = Buffer.concat([Buffer.from([200]), Buffer.from("abc")]);
  assert.equal(fieldLength("tuple", v4, 0, v4.length, 4, true), 4);
  // A tuple that fits is read as it says either way.
  const ok = Buffer.from([0, 2, 0x61, 0x62, 0, 1, 0x63]);
  assert.equal(fieldLength("tuple", ok, 0, ok.length, 6, false), 4);
});

test("lenient: v6 bootfile-param (60, tuples) received with an overlong last tuple reads it", () => {
  const def = getStdOptionDefs().get("dhcp6", 60, 6)!;
  const payload = Buffer.concat([Buffer.from([0, 2]), Buffer.from("-v"), overlong6]);
  const strict = def.optionFactory(payload);
  assert.ok(!(strict instanceof OptionCustom), "strict: kept as bytes");
  setLenientOptionParsing(true);
  const lenient = def.optionFactory(payload);
  assert.ok(lenient instanceof OptionCustom);
  assert.equal(lenient.readTuple(0), "-v");
  assert.equal(lenient.readTuple(1), "docsis3.0");
});
