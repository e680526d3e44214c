/**
 * Kea's `loggers` as Nestor's, for either server: a name under `kea-dhcp4` / `kea-dhcp6` is read
 * as `nestor-dhcp4` / `nestor-dhcp6` so that a Kea configuration keeps working; each output keeps
 * its options (flush, maxsize, maxver, pattern and Nestor's format); a file path is relative to
 * the configuration file.
 */
import { dirname, resolve } from "node:path";
import type { LoggerSpec, OutputSpec } from "../../log/logger.ts";
import type { LoggerConfig, LoggerOutput } from "./types.ts";

function outputSpec(o: LoggerOutput, file: string): OutputSpec {
  const special = o.output === "stdout" || o.output === "stderr" || /^syslog(:|$)/.test(o.output);
  const spec: OutputSpec = {
    output: special ? o.output : resolve(dirname(file), o.output),
    flush: o.flush,
    maxsize: o.maxsize,
    maxver: o.maxver,
    pattern: o.pattern,
  };
  if (o.format === "json") spec.format = "json";
  return spec;
}

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
      outputs: l["output-options"].map((o) => outputSpec(o, file)),
    };
    if (l.severity !== undefined) spec.severity = l.severity;
    if (spec.outputs!.length === 0) delete spec.outputs;
    return spec;
  });
}
