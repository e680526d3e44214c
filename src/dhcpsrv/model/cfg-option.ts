/**
 * The options configured at one level of the hierarchy (global, subnet, pool, reservation,
 * class), built once from `option-data` when a configuration is loaded and shared by every
 * response (packets copy them only inside callouts: see Pkt.setCopyRetrievedOptions).
 *
 * As Kea's CfgOption:
 * - an option of the top space ("dhcp4" / "dhcp6") whose definition encapsulates a space (v4
 *   option 43 and "vendor-encapsulated-options-space", a custom option with `encapsulate`)
 *   carries the level's options of that space as sub-options, and those theirs in turn;
 * - options of a vendor space ("vendor-4491", "vendor-20000") are kept by enterprise number for
 *   the vendor options of responses (v4 125, v6 17), not encapsulated at load time;
 * - `never-send` (later Kea) cancels the code at every level; `client-classes` (later Kea) keeps
 *   an option for the members of one of the classes.
 */
import type { OptionDescriptor } from "../../dhcp/option-data.ts";
import type { Option } from "../../dhcp/option.ts";

/** The enterprise number of a vendor space name ("vendor-4491" -> 4491), or -1. */
export function vendorIdOfSpace(space: string): number {
  const m = /^vendor-(\d{1,10})$/.exec(space);
  if (m === null) return -1;
  const id = Number(m[1]);
  return id <= 0xffffffff ? id : -1;
}

/** The first of `list` (in configuration order) for a client of `classes`. */
function firstFor(
  list: readonly OptionDescriptor[] | undefined,
  classes: ReadonlySet<string>,
): OptionDescriptor | undefined {
  if (list === undefined) return undefined;
  for (const d of list) {
    if (d.clientClasses.length === 0) return d;
    for (const c of d.clientClasses) if (classes.has(c)) return d;
  }
  return undefined;
}

/** Options by code; several of one code only when `client-classes` tells them apart. */
class ByCode {
  private readonly one = new Map<number, OptionDescriptor>();
  private lists: Map<number, OptionDescriptor[]> | null = null;
  hasClassFilter = false;

  add(d: OptionDescriptor): void {
    if (d.clientClasses.length > 0) this.hasClassFilter = true;
    // Without classes, as before: the last entry of a code is the one.
    this.one.set(d.code, d);
    this.lists ??= new Map();
    const l = this.lists.get(d.code);
    if (l === undefined) this.lists.set(d.code, [d]);
    else l.push(d);
  }

  get(code: number): OptionDescriptor | undefined {
    return this.one.get(code);
  }

  getFor(code: number, classes: ReadonlySet<string>): OptionDescriptor | undefined {
    if (!this.hasClassFilter) return this.one.get(code);
    return firstFor(this.lists?.get(code), classes);
  }

  get size(): number {
    return this.one.size;
  }
}

/** The options of one vendor space at one level. */
export class VendorOptions {
  readonly byCode = new ByCode();
  readonly alwaysSend: OptionDescriptor[] = [];
  readonly neverSend: number[] = [];

  getFor(code: number, classes: ReadonlySet<string>): OptionDescriptor | undefined {
    return this.byCode.getFor(code, classes);
  }
}

const EMPTY_VENDORS: ReadonlyMap<number, VendorOptions> = new Map();

export class CfgOption {
  /** DHCPv4 "dhcp4" (or DHCPv6 "dhcp6") space options by code. */
  private readonly byCode = new ByCode();
  /** Options sent whether or not the client asked (always-send). */
  readonly alwaysSend: OptionDescriptor[] = [];
  /** Codes of the top space configured never-send at this level. */
  readonly neverSend: number[] = [];
  /** Some option of the top space is kept for members of classes (`client-classes`). */
  readonly hasClassFilter: boolean;
  /** The options of each vendor space by enterprise number. */
  readonly vendors: ReadonlyMap<number, VendorOptions>;
  readonly all: readonly OptionDescriptor[];

  constructor(descriptors: readonly OptionDescriptor[], topSpace: string) {
    this.all = descriptors;
    let vendors: Map<number, VendorOptions> | null = null;
    for (const d of descriptors) {
      if (d.space === topSpace) {
        this.byCode.add(d);
        if (d.neverSend) this.neverSend.push(d.code);
        else if (d.alwaysSend) this.alwaysSend.push(d);
        continue;
      }
      const id = vendorIdOfSpace(d.space);
      if (id < 0) continue;
      vendors ??= new Map();
      let v = vendors.get(id);
      if (v === undefined) vendors.set(id, (v = new VendorOptions()));
      v.byCode.add(d);
      if (d.neverSend) v.neverSend.push(d.code);
      else if (d.alwaysSend) v.alwaysSend.push(d);
    }
    this.vendors = vendors ?? EMPTY_VENDORS;
    this.hasClassFilter = this.byCode.hasClassFilter;
    if (descriptors.length > 1) encapsulateAll(descriptors, topSpace);
  }

  get(code: number): OptionDescriptor | undefined {
    return this.byCode.get(code);
  }

  /** Option `code` for a client of `classes`: the first entry whose `client-classes` allow it. */
  getFor(code: number, classes: ReadonlySet<string>): OptionDescriptor | undefined {
    return this.byCode.getFor(code, classes);
  }

  get size(): number {
    return this.byCode.size;
  }

  static readonly EMPTY4 = new CfgOption([], "dhcp4");
  static readonly EMPTY6 = new CfgOption([], "dhcp6");
}

/** Kea's CfgOption::encapsulate for one level: sub-options from the encapsulated spaces. */
function encapsulateAll(descriptors: readonly OptionDescriptor[], topSpace: string): void {
  const bySpace = new Map<string, OptionDescriptor[]>();
  for (const d of descriptors) {
    let list = bySpace.get(d.space);
    if (list === undefined) bySpace.set(d.space, (list = []));
    list.push(d);
  }
  for (const d of bySpace.get(topSpace) ?? []) encapsulate(d.option, bySpace, 0);
}

/** Spaces nest at most this deep (a space that encapsulates itself stops here). */
const MAX_DEPTH = 8;

function encapsulate(opt: Option, bySpace: Map<string, OptionDescriptor[]>, depth: number): void {
  const space = opt.encapsulatedSpace;
  if (space === "" || depth >= MAX_DEPTH || vendorIdOfSpace(space) >= 0) return;
  for (const sub of bySpace.get(space) ?? []) {
    if (sub.option === opt) continue;
    if (opt.getOption(sub.code) === undefined) opt.addOption(sub.option);
    if (space !== "dhcp4" && space !== "dhcp6") encapsulate(sub.option, bySpace, depth + 1);
  }
}
