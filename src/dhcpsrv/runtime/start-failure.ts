/**
 * A configuration refused at start (or by -t), logged as Kea 2.2 logs it, so that the tools an
 * operator points at Kea's log keep working: `DHCPn_PARSER_FAIL` naming the top-level element the
 * refusal is about (when it is about one), `DHCPn_CONFIG_LOAD_FAIL` with the file and the reason,
 * then (at start) `DHCPn_INIT_FAIL`; all at ERROR. The texts are Nestor's, the values Kea's.
 */
import { defineMessages, type Logger } from "../../log/logger.ts";
import { ConfigError } from "../../util/errors.ts";

for (const p of ["DHCP4", "DHCP6"]) {
  defineMessages({
    [`${p}_PARSER_FAIL`]: "the configuration element %1 was refused: %2",
    [`${p}_CONFIG_LOAD_FAIL`]: "configuration error using file: %1, reason: %2",
    [`${p}_INIT_FAIL`]: "the server failed to start: %1",
  });
}

/**
 * The top-level element a refusal names: "subnet4" for `Dhcp4.subnet4[0].pools[1].pool`,
 * "interfaces-config" for `interfaces-config.interfaces[0]`; undefined for the document itself.
 */
export function configElement(path: string, family: 4 | 6): string | undefined {
  const inside = path.startsWith(`Dhcp${family}.`) ? path.slice(6) : path;
  if (inside === "" || inside === `Dhcp${family}`) return undefined;
  const m = /^[^.[]+/.exec(inside);
  return m === null ? undefined : m[0];
}

/** The message of an error, whatever was thrown. */
function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** -t and start: the refusal of `file`; at start (`init`) also DHCPn_INIT_FAIL. */
export function logConfigFailure(
  log: Logger,
  family: 4 | 6,
  file: string,
  e: unknown,
  init: boolean,
): void {
  const p = `DHCP${family}`;
  const reason = reasonOf(e);
  const isConfig = e instanceof ConfigError;
  const element = isConfig ? configElement(e.path, family) : undefined;
  if (element !== undefined) log.error(`${p}_PARSER_FAIL`, element, reason);
  log.error(`${p}_CONFIG_LOAD_FAIL`, file, reason);
  if (init) log.error(`${p}_INIT_FAIL`, `configuration error using file '${file}': ${reason}`);
}
