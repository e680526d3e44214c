/**
 * The options every DHCPv4 response carries with a 4-byte value (server identifier, lease time,
 * T1, T2, subnet mask) are one object per code and value, shared by the responses; a callout
 * that changes such an option of one response (it gets a copy: copy on retrieve) changes neither
 * the next response nor the shared option.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DHO } from "../../../src/dhcp/constants.ts";
import type { Option } from "../../../src/dhcp/option.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const KEY = `nestorSharedOptions4_${process.pid}`;
const CODES = [DHO.DHCP_SERVER_IDENTIFIER, DHO.DHCP_LEASE_TIME, DHO.DHCP_RENEWAL_TIME];
const SOURCE = `import { HOOKS_VERSION } from "nestor/hooks";
const seen = (globalThis.${KEY} ??= { options: [], change: false });
export const version = () => HOOKS_VERSION;
export function pkt4_send(h) {
  const r = h.getArgument("response4");
  seen.options.push([${CODES.join(", ")}].map((c) => r.getNonCopiedOption(c)));
  if (seen.change) {
    // A callout's own copy: the server puts it into this response only.
    r.getOption(54).setData(Buffer.from([203, 0, 113, 9]));
    r.getOption(51).setData(Buffer.from([0, 0, 0, 7]));
  }
  return 0;
}
`;

function seen(): { options: (Option | undefined)[][]; change: boolean } {
  return (globalThis as Record<string, unknown>)[KEY] as {
    options: (Option | undefined)[][];
    change: boolean;
  };
}

test("two responses share the server identifier, lease time and T1 options; a callout's change stays in its own response", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "nestor-shared-options-")), "options.mjs");
  writeFileSync(file, SOURCE);
  const bed = await server4(config4(), [{ library: file }], "INFO");
  try {
    const first = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:0b:01" }));
    const second = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:0b:02" }));
    assert.ok(first !== null && second !== null);
    const [a, b] = seen().options;
    for (let i = 0; i < CODES.length; i++) {
      assert.ok(a![i] !== undefined, `option ${CODES[i]} present`);
      assert.equal(b![i], a![i], `option ${CODES[i]}: one object for both responses`);
    }
    seen().change = true;
    const changed = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:0b:03" }));
    seen().change = false;
    const after = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:0b:04" }));
    assert.deepEqual(
      [...changed!.pkt.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()],
      [203, 0, 113, 9],
    );
    assert.equal(changed!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 7);
    const sid = after!.pkt.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData();
    assert.deepEqual([...sid], SERVER_ADDR.split(".").map(Number));
    assert.equal(after!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
    assert.deepEqual([...a![0]!.getData()], SERVER_ADDR.split(".").map(Number));
  } finally {
    await bed.hooks.unloadLibraries();
  }
});
