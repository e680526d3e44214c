/**
 * The script the differential tests give run_script, in Kea and in Nestor alike: each run
 * records its argument count and its environment exactly as it got them (/proc/$$/environ) in
 * OUT/<nanoseconds>.<hook>.<argc>.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ScriptRun {
  hook: string;
  argc: number;
  env: Record<string, string>;
}

/** Writes the recording script to `file` (executable); its runs go to the directory `out`. */
export function writeEnvScript(file: string, out: string): void {
  mkdirSync(out, { recursive: true });
  // Written beside `out`, then renamed into it: a run is never read half written.
  writeFileSync(
    file,
    `#!/bin/sh\n/bin/cat /proc/$$/environ > "${out}.run.$$" && ` +
      `/bin/mv "${out}.run.$$" "${out}/$(/bin/date +%s%N).$1.$#"\n`,
  );
  chmodSync(file, 0o755);
}

/**
 * The runs recorded in `out`, in the order the scripts wrote them (the scripts run
 * asynchronously: two runs close together may have been started in the other order).
 */
export function readScriptRuns(out: string): ScriptRun[] {
  return readdirSync(out)
    .sort()
    .map((n) => {
      const [, hook, argc] = n.split(".");
      const env: Record<string, string> = {};
      for (const kv of readFileSync(join(out, n), "utf8").split("\0")) {
        if (kv === "") continue;
        const eq = kv.indexOf("=");
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      return { hook: hook!, argc: Number(argc), env };
    });
}

/** How many runs for `hook` are recorded in `out`. */
export function countScriptRuns(out: string, hook: string): number {
  return readdirSync(out).filter((n) => n.split(".")[1] === hook).length;
}

/**
 * Per run, the hook and the variables whose names match `names`, as one sorted line; the lines
 * sorted, so that two servers' runs compare whatever order their scripts wrote in.
 */
export function scriptVariables(out: string, names: RegExp): string[] {
  return readScriptRuns(out)
    .map((r) => {
      const vars = Object.entries(r.env)
        .filter(([k]) => names.test(k))
        .map(([k, v]) => `${k}=${v}`);
      return [r.hook, ...vars.sort()].join(" ");
    })
    .sort();
}
