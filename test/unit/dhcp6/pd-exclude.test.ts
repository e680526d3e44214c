// Option 67, PD exclude (RFC 6603): the excluded prefix's length and its bits after the delegated
// length, left-aligned in whole bytes; the pd-pool's excluded prefix read from the configuration.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp6Model } from "../../../src/dhcpsrv/model/cfg6.ts";
import { ipv6ToBig } from "../../../src/dhcpsrv/model/subnet6.ts";
import { pdExcludeOption } from "../../../src/dhcp6/processing/ia-options.ts";

const wire = (delegated: number, excluded: string, len: number) =>
  pdExcludeOption(delegated, ipv6ToBig(excluded), len).pack().toString("hex");

describe("option 67", () => {
  test("a /64 out of a /60: four bits in one byte", () => {
    assert.equal(wire(60, "2001:db8:8:1::", 64), "0043" + "0002" + "4010");
  });

  test("a /64 out of a /48: two whole bytes", () => {
    assert.equal(wire(48, "2001:db8:1:abcd::", 64), "0043" + "0003" + "40abcd");
  });

  test("a /61 out of a /56: five bits, left-aligned", () => {
    // Bits 56..60 of 2001:db8:0:a8:: are 10101 (the top five bits of 0xa8 = 1010 1000).
    assert.equal(wire(56, "2001:db8:0:a8::", 61), "0043" + "0002" + "3da8");
  });

  test("a /128 out of a /64: eight bytes", () => {
    assert.equal(wire(64, "2001:db8::1:2:3:4", 128), "0043" + "0009" + "80" + "0001000200030004");
  });
});

describe("the pd-pool's excluded prefix", () => {
  test("is kept by the model, and its absence is length 0", () => {
    const { config, source } = parseConfigText(
      `{ "Dhcp6": { "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "pd-pools": [
        { "prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 60,
          "excluded-prefix": "2001:db8:8:1::", "excluded-prefix-len": 64 },
        { "prefix": "2001:db8:9::", "prefix-len": 56, "delegated-len": 60 } ] } ] } }`,
      6,
      "kea.conf",
    );
    const model = buildDhcp6Model(config, "kea.conf", source);
    const [withExclude, without] = model.subnets[0]!.pdPools;
    assert.equal(withExclude!.excludedLen, 64);
    assert.equal(withExclude!.excludedPrefix, ipv6ToBig("2001:db8:8:1::"));
    assert.equal(without!.excludedLen, 0);
    assert.equal(model.subnets[0]!.hasPdExclude, true);
  });
});
