/**
 * Kea's `loggers` as Nestor's, for either server: a name under `kea-dhcp4` / `kea-dhcp6` is read
 * as `nestor-dhcp4` / `nestor-dhcp6` so that a Kea configuration keeps working; outputs stdout,
 * stderr or a file (relative to the configuration file); syslog is not supported yet and goes to
 * stderr.
 */
import { dirname, resolve } from "node:path";
import type { LoggerSpec } from "../../log/logger.ts";
import type { LoggerConfig } from "./types.ts";

export function loggerSpecs(
  loggers: readonly LoggerConfig[],
  file: string,
  server: "dhcp4" | "dhcp6",
): LoggerSpec[] {
  const kea = new RegExp(`^kea-${server}(?=$|\\.)`);
  return loggers.map((l) => {
    const spec: LoggerSpec = {
      name: l.name.replace(kea, `nestor-${server}`),
      debuglevel: l.debuglevel,
      outputs: l["output-options"].map((o) =>
        o.output === "stdout" || o.output === "stderr"
          ? o.output
          : o.output.startsWith("syslog")
            ? "stderr"
            : resolve(dirname(file), o.output),
      ),
    };
    if (l.severity !== undefined) spec.severity = l.severity;
    if (spec.outputs!.length === 0) delete spec.outputs;
    return spec;
  });
}
