/**
 * Which configured options a response carries, the same in v4 and v6 (Kea's appendRequested*
 * and always-send): each option from the most specific level that has it, in Kea's order
 * reservation, pool, subnet, its shared network, the client's classes in the order it joined
 * them, globals.
 *
 * - always-send (Kea 2.2): the code of an always-send option at any level is added to the codes
 *   the client asked for; its value then comes from the most specific level that has the code,
 *   always-send there or not.
 * - never-send (later Kea): a code never-send at any level is not added, asked for or not.
 * - client-classes of an option (later Kea): the option is for members of one of its classes
 *   only; for other clients the levels are searched on as if it were not there.
 * - Vendor options (v4 125, v6 17; Kea 2.2's appendRequestedVendorOptions): for one enterprise
 *   (the one of the vendor option the response already has, else the client's), the sub-options
 *   the client asked for in the CableLabs ORO (sub-option 1 of enterprise 4491) and those
 *   always-send in that vendor's space.
 */
import type { OptionDescriptor } from "../../dhcp/option-data.ts";
import { OptionVendor } from "../../dhcp/option-vendor.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import { CfgOption } from "../model/cfg-option.ts";

/** CableLabs' enterprise number: the one vendor whose sub-option 1 is a request list. */
const CABLE_LABS = 4491;
/** The CableLabs ORO, sub-option 1 of vendor 4491 (uint8 codes in v4, uint16 in v6). */
const VENDOR_ORO = 1;
const NO_CLASSES: ReadonlySet<string> = new Set();

/** The levels of one response, most specific first; `null` where a level does not apply. */
export function optionLevels(
  query: Pkt,
  host: { readonly options: CfgOption } | undefined,
  pool: { readonly options: CfgOption } | undefined,
  subnet: {
    readonly options: CfgOption;
    readonly network: { readonly options: CfgOption } | null;
  } | null,
  classes: ClientClasses | null,
  globals: CfgOption,
): CfgOption[] {
  const levels: CfgOption[] = [];
  if (host !== undefined) levels.push(host.options);
  if (subnet !== null) {
    if (pool !== undefined) levels.push(pool.options);
    levels.push(subnet.options);
    if (
      subnet.network !== null &&
      subnet.network.options !== CfgOption.EMPTY4 &&
      subnet.network.options !== CfgOption.EMPTY6
    ) {
      levels.push(subnet.network.options);
    }
  }
  classes?.optionLevels(query, levels);
  levels.push(globals);
  return levels;
}

/**
 * Option `code` from the first level that has it for a client of `classes` (an option with
 * `client-classes` is for their members only).
 */
export function findOption(
  levels: readonly CfgOption[],
  code: number,
  classes: ReadonlySet<string> = NO_CLASSES,
): OptionDescriptor | undefined {
  for (const level of levels) {
    const d = level.hasClassFilter ? level.getFor(code, classes) : level.get(code);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Whether some level says never-send for `code` (later Kea: the flag holds at every level). */
export function isCancelled(levels: readonly CfgOption[], code: number): boolean {
  for (const level of levels) {
    const never = level.neverSend;
    for (let i = 0; i < never.length; i++) if (never[i] === code) return true;
  }
  return false;
}

/** Adds option `code` from the levels, unless the response has it or it is never-send. */
export function addConfiguredOption(
  r: Pkt,
  levels: readonly CfgOption[],
  code: number,
  classes?: ReadonlySet<string>,
): void {
  if (r.getNonCopiedOption(code) !== undefined || isCancelled(levels, code)) return;
  const d = findOption(levels, code, classes);
  if (d !== undefined) r.addOption(d.option);
}

/**
 * Adds, for the code of every always-send option of every level, the option from the most
 * specific level that has that code (Kea 2.2: always-send puts the code in the request list).
 */
export function addAlwaysSendOptions(
  r: Pkt,
  levels: readonly CfgOption[],
  classes?: ReadonlySet<string>,
): void {
  for (const level of levels) {
    const always = level.alwaysSend;
    for (let i = 0; i < always.length; i++)
      addConfiguredOption(r, levels, always[i]!.code, classes);
  }
}

/**
 * Kea's appendRequestedVendorOptions. `vendorId` is the enterprise the response's sub-options
 * are for (0: none known, nothing to do); `request` the client's vendor option when its ORO
 * counts. Adds to the response's vendor option (a copy: configured options are shared) or to a
 * new one, added only when it got a sub-option.
 */
export function addVendorOptions(
  r: Pkt,
  levels: readonly CfgOption[],
  universe: 4 | 6,
  vendorId: number,
  request: OptionVendor | undefined,
  classes: ReadonlySet<string> = NO_CLASSES,
): void {
  const code = universe === 4 ? 125 : 17;
  const codes: number[] = [];
  if (request !== undefined && request.getVendorId() === CABLE_LABS) {
    const oro = request.getOption(VENDOR_ORO)?.getData();
    if (oro !== undefined) {
      if (universe === 4) for (let i = 0; i < oro.length; i++) codes.push(oro[i]!);
      else for (let i = 0; i + 1 < oro.length; i += 2) codes.push((oro[i]! << 8) | oro[i + 1]!);
    }
  }
  let cancelled: number[] | null = null;
  for (const level of levels) {
    const v = level.vendors.get(vendorId);
    if (v === undefined) continue;
    for (const d of v.alwaysSend) codes.push(d.code);
    if (v.neverSend.length > 0) (cancelled ??= []).push(...v.neverSend);
  }
  if (codes.length === 0) return;
  const existing = r.getNonCopiedOption(code);
  const current = existing instanceof OptionVendor ? existing : undefined;
  let out: OptionVendor | null = null;
  for (const sub of codes) {
    if (cancelled?.includes(sub) === true) continue;
    if ((out ?? current)?.getOption(sub) !== undefined) continue;
    for (const level of levels) {
      const d = level.vendors.get(vendorId)?.getFor(sub, classes);
      if (d === undefined) continue;
      out ??= current === undefined ? OptionVendor.create(universe, vendorId) : current.clone();
      out.addOption(d.option);
      break;
    }
  }
  if (out === null) return;
  if (current !== undefined) r.delOption(code);
  r.addOption(out);
}

/** The first vendor option of a packet (v4 125, v6 17), or undefined. */
export function vendorOptionOf(p: Pkt, code: number): OptionVendor | undefined {
  const o = p.getNonCopiedOption(code);
  return o instanceof OptionVendor ? o : undefined;
}
