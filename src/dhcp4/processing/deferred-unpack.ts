/**
 * Kea's deferred unpacking (Dhcpv4Srv::deferredUnpack), right after the first classification and
 * before accept and pkt4_receive: options whose layout depends on the client — option 43
 * (vendor-encapsulated-options) and the private codes 224-254, kept as bytes by the packet
 * parser (Pkt4, isDeferred) — are read with the
 * definition of the first of the query's classes that defines the code in its own `option-def`,
 * else the configuration's (`option-def`, then Kea's last-resort definition of 43, which
 * encapsulates "vendor-encapsulated-options-space"). Until then option 43 is kept as bytes, so
 * the first class tests see no sub-options in it; the later ones (KNOWN-dependent, required) and
 * the callouts do. A payload that does not fit the definition is left as it was, as Kea does.
 */
import { getLastResortOptionDefs } from "../../dhcp/std-option-defs.ts";
import type { Option } from "../../dhcp/option.ts";
import type { Exchange4 } from "../exchange.ts";

export function deferredUnpack(ex: Exchange4): void {
  const q = ex.query;
  const codes = q.deferredCodes();
  if (codes === null) return;
  const model = ex.srv.model;
  for (const code of codes) {
    const def =
      model.classes?.classOptionDef(q, code) ??
      model.optionDefs.get("dhcp4", code, 4) ??
      getLastResortOptionDefs().get("dhcp4", code, 4);
    if (def === undefined) continue;
    const raw = payloadOf(q.getNonCopiedOption(code)!);
    if (raw === null) continue;
    let parsed;
    try {
      parsed = def.tryOptionFactory(raw, 0, raw.length, model.optionDefs, 0);
    } catch {
      parsed = null; // malformed sub-options: kept as received, as Kea does
    }
    if (parsed === null) continue;
    while (q.delOption(code));
    q.addOption(parsed);
  }
}

/** The payload of an option as received (sub-options included), or null when over 255 bytes. */
function payloadOf(o: Option): Buffer | null {
  const wire = o.pack();
  return wire.length > 257 ? null : wire.subarray(2);
}
