/** Reading a DHCPv6 reply in a test: its IAs, what they grant, status codes. */
import { D6O } from "../dhcp/constants.ts";
import type { Option } from "../dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../dhcp/option6-ia.ts";
import type { Pkt6 } from "../dhcp/pkt6.ts";

/** The IA_NA, IA_TA and IA_PD options of a message, in order. */
export function iasOf(p: Pkt6): Option6IA[] {
  return p.getOptions().filter((o): o is Option6IA => o instanceof Option6IA);
}

/** The addresses (or "prefix/len") an IA grants: those with a valid lifetime above 0. */
export function leasesIn(ia: Option6IA): string[] {
  const out: string[] = [];
  for (const s of ia.getOptions()) {
    if (s instanceof Option6IAAddr && s.getValid() > 0) out.push(s.getAddress());
    if (s instanceof Option6IAPrefix && s.getValid() > 0) {
      out.push(`${s.getAddress()}/${s.getLength()}`);
    }
  }
  return out;
}

/** The status code in a message or an IA, or undefined when there is none. */
export function statusOf(o: { getOption(code: number): Option | undefined }): number | undefined {
  const s = o.getOption(D6O.STATUS_CODE);
  return s === undefined ? undefined : s.getData().readUInt16BE(0);
}
