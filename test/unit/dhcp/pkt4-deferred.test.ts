/**
 * Pkt4.deferredCodes: which options of a parsed packet the server reads again once the client's
 * classes are known (option 43 and the private codes 224-254, Kea's deferred unpacking).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DHCPMessageType, DHO } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";

function wire(codes: number[]): Buffer {
  const p = Pkt4.create(DHCPMessageType.DHCPDISCOVER, 7);
  for (const c of codes) p.addOption(new Option(4, c, Buffer.from([1, 2])));
  return p.pack();
}

test("a packet without option 43 or 224-254 has no deferred codes", () => {
  const p = Pkt4.parse(wire([DHO.HOST_NAME, DHO.DHCP_PARAMETER_REQUEST_LIST]));
  assert.equal(p.deferredCodes(), null);
});

test("the deferred codes come once each, in the order of the packet", () => {
  const p = Pkt4.parse(wire([230, DHO.HOST_NAME, DHO.VENDOR_ENCAPSULATED_OPTIONS, 254, 224]));
  assert.deepEqual(p.deferredCodes(), [230, DHO.VENDOR_ENCAPSULATED_OPTIONS, 254, 224]);
});

test("reading the deferred codes leaves the packet's options as they were", () => {
  const p = Pkt4.parse(wire([DHO.VENDOR_ENCAPSULATED_OPTIONS, DHO.HOST_NAME]));
  const before = p.getNonCopiedOptions().map((o) => o.getType());
  p.deferredCodes();
  assert.deepEqual(
    p.getNonCopiedOptions().map((o) => o.getType()),
    before,
  );
});
