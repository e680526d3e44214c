/**
 * Which configured options a response carries, the same in v4 and v6 (Kea's appendRequested*
 * and always-send): each option from the most specific level that has it, in Kea's order
 * reservation, pool, subnet, the client's classes in the order it joined them, globals.
 */
import type { OptionDescriptor } from "../../dhcp/option-data.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import type { CfgOption } from "../model/cfg-option.ts";

/** The levels of one response, most specific first; `null` where a level does not apply. */
export function optionLevels(
  query: Pkt,
  host: { readonly options: CfgOption } | undefined,
  pool: { readonly options: CfgOption } | undefined,
  subnet: { readonly options: CfgOption } | null,
  classes: ClientClasses | null,
  globals: CfgOption,
): CfgOption[] {
  const levels: CfgOption[] = [];
  if (host !== undefined) levels.push(host.options);
  if (subnet !== null) {
    if (pool !== undefined) levels.push(pool.options);
    levels.push(subnet.options);
  }
  classes?.optionLevels(query, levels);
  levels.push(globals);
  return levels;
}

/** Option `code` from the first level that has it. */
export function findOption(
  levels: readonly CfgOption[],
  code: number,
): OptionDescriptor | undefined {
  for (const level of levels) {
    const d = level.get(code);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Adds option `code` from the levels, unless the response has it or it is never-send. */
export function addConfiguredOption(r: Pkt, levels: readonly CfgOption[], code: number): void {
  if (r.getNonCopiedOption(code) !== undefined) return;
  const d = findOption(levels, code);
  if (d !== undefined && !d.neverSend) r.addOption(d.option);
}

/** Adds every always-send option of every level that the response does not have yet. */
export function addAlwaysSendOptions(r: Pkt, levels: readonly CfgOption[]): void {
  for (const level of levels) {
    for (const d of level.alwaysSend) {
      if (r.getNonCopiedOption(d.code) === undefined && !d.neverSend) r.addOption(d.option);
    }
  }
}
