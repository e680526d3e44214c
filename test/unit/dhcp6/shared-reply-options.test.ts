/**
 * Every DHCPv6 response carries the server identifier (option 2) as one object made with the
 * server's DUID, shared by the responses and made again when the DUID changes; a callout that
 * changes it in one response (it gets a copy: copy on retrieve) changes neither the next
 * response nor the shared option.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { D6O } from "../../../src/dhcp/constants.ts";
import type { Option } from "../../../src/dhcp/option.ts";
import { M, SERVER_DUID, config6, exchange6, query6, server6 } from "../../helpers/dhcp6.ts";
import { buildDhcp6Model } from "../../../src/dhcpsrv/model/cfg6.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";

const KEY = `nestorSharedOptions6_${process.pid}`;
const SOURCE = `import { HOOKS_VERSION } from "nestor/hooks";
const seen = (globalThis.${KEY} ??= { options: [], change: false });
export const version = () => HOOKS_VERSION;
export function pkt6_send(h) {
  const r = h.getArgument("response6");
  seen.options.push(r.getNonCopiedOption(2));
  if (seen.change) r.getOption(2).setData(Buffer.from("0003000102aabbccddee", "hex"));
  return 0;
}
`;

function seen(): { options: (Option | undefined)[]; change: boolean } {
  return (globalThis as Record<string, unknown>)[KEY] as {
    options: (Option | undefined)[];
    change: boolean;
  };
}

const hex = (pkt: { getOption(code: number): Option | undefined }) =>
  pkt.getOption(D6O.SERVERID)!.getData().toString("hex");

test("responses share one server identifier option; a callout's change stays in its own response; a new DUID gets its own", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "nestor-shared-options6-")), "options.mjs");
  writeFileSync(file, SOURCE);
  const bed = await server6(config6(), [{ library: file }]);
  try {
    const solicit = () => query6(M.DHCPV6_SOLICIT, { ias: [{}] });
    await exchange6(bed, solicit());
    await exchange6(bed, solicit());
    const [a, b] = seen().options;
    assert.ok(a !== undefined);
    assert.equal(b, a, "one object for both responses");
    seen().change = true;
    const changed = await exchange6(bed, solicit());
    seen().change = false;
    const after = await exchange6(bed, solicit());
    assert.equal(hex(changed!.pkt), "0003000102aabbccddee");
    assert.equal(hex(after!.pkt), SERVER_DUID.toString("hex"));
    assert.equal(a.getData().toString("hex"), SERVER_DUID.toString("hex"));
    const duid = Buffer.from("00030001020000000042", "hex");
    const text = config6();
    bed.srv.setModel(buildDhcp6Model(parseConfigText(text, 6, "t.json").config, "t.json"), duid);
    const renewed = await exchange6(bed, solicit());
    assert.equal(hex(renewed!.pkt), duid.toString("hex"));
    assert.notEqual(seen().options.at(-1), a);
  } finally {
    await bed.hooks.unloadLibraries();
  }
});
