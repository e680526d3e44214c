/**
 * The options configured at one level of the hierarchy (global, subnet, pool, reservation),
 * built once from `option-data` when a configuration is loaded and shared by every response
 * (packets copy them only inside callouts: see Pkt.setCopyRetrievedOptions).
 */
import type { OptionDescriptor } from "../../dhcp/option-data.ts";

export class CfgOption {
  /** DHCPv4 "dhcp4" (or DHCPv6 "dhcp6") space options by code. */
  private readonly byCode = new Map<number, OptionDescriptor>();
  /** Options sent whether or not the client asked (always-send). */
  readonly alwaysSend: OptionDescriptor[] = [];
  readonly all: readonly OptionDescriptor[];

  constructor(descriptors: readonly OptionDescriptor[], topSpace: string) {
    this.all = descriptors;
    for (const d of descriptors) {
      if (d.space !== topSpace) continue;
      this.byCode.set(d.code, d);
      if (d.alwaysSend) this.alwaysSend.push(d);
    }
  }

  get(code: number): OptionDescriptor | undefined {
    return this.byCode.get(code);
  }

  get size(): number {
    return this.byCode.size;
  }

  static readonly EMPTY4 = new CfgOption([], "dhcp4");
  static readonly EMPTY6 = new CfgOption([], "dhcp6");
}
