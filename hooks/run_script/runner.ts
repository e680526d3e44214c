/**
 * The library's configuration and the running of the script: parameters checked at load, one
 * child process per callout, with the hook point's name as its only argument and only the
 * generated variables as its environment.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { NextStep, defineMessages, type JsonObject, type Logger } from "nestor/hooks";
import type { Env } from "./environment.ts";

defineMessages({
  RUN_SCRIPT_LOAD: "Run Script hooks library has been loaded",
  RUN_SCRIPT_LOAD_ERROR: "Run Script hooks library failed: %1",
  RUN_SCRIPT_UNLOAD: "Run Script hooks library has been unloaded",
  RUN_SCRIPT_SPAWN_FAILED: "script %1 for %2 could not be started: %3",
  RUN_SCRIPT_FAILED: "script %1 for %2 %3",
  RUN_SCRIPT_BAD_STATUS:
    "script %1 for %2 exited with %3, which is not 0, 1 or 2: status unchanged",
  RUN_SCRIPT_TIMEOUT: "script %1 for %2 did not finish within %3 ms: killed, status unchanged",
  RUN_SCRIPT_NEXT_STEP: "script %1 for %2 exited with %3: next step %4",
});

/** The sync wait's bound when `timeout` is not given: far below the 30 s callout timeout. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** The largest `timeout` accepted: one below the framework's default callout timeout. */
export const MAX_TIMEOUT_MS = 29_000;

export interface RunScriptConfig {
  /** The script, as an absolute path. */
  name: string;
  sync: boolean;
  timeoutMs: number;
}

const KNOWN = new Set(["name", "sync", "timeout"]);

/** Throws an Error with a clear message when the parameters are not usable. */
export function parseParameters(params: JsonObject | undefined): RunScriptConfig {
  const p = params ?? {};
  for (const key of Object.keys(p)) {
    if (!KNOWN.has(key)) {
      throw new Error(`unknown parameter '${key}' (run_script takes 'name', 'sync' and 'timeout')`);
    }
  }
  const name = p.name;
  if (name === undefined) throw new Error("The 'name' parameter is mandatory");
  if (typeof name !== "string") throw new Error("The 'name' parameter must be a string");
  if (name === "") throw new Error("Invalid 'name' parameter: the name is empty");
  const path = resolve(name);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new Error(`Invalid 'name' parameter: File not found: ${name}`);
  }
  if (!isFile) throw new Error(`Invalid 'name' parameter: not a regular file: ${name}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`Invalid 'name' parameter: File not executable: ${name}`);
  }
  const sync = p.sync ?? false;
  if (typeof sync !== "boolean") throw new Error("The 'sync' parameter must be a boolean");
  const timeout = p.timeout ?? DEFAULT_TIMEOUT_MS;
  if (
    typeof timeout !== "number" ||
    !Number.isInteger(timeout) ||
    timeout < 1 ||
    timeout > MAX_TIMEOUT_MS
  ) {
    throw new Error(
      `The 'timeout' parameter must be an integer number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return { name: path, sync, timeoutMs: timeout };
}

/** How a script ended. */
export type Outcome =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: string }
  | { kind: "error"; message: string }
  | { kind: "timeout" };

function describe(o: Outcome): string {
  switch (o.kind) {
    case "exit":
      return `exited with status ${o.code}`;
    case "signal":
      return `was killed by ${o.signal}`;
    case "error":
      return `failed: ${o.message}`;
    case "timeout":
      return "timed out";
  }
}

/** Exit status → next step: 0 CONTINUE, 1 SKIP, 2 DROP. */
const STATUS_STEP: Readonly<Record<number, NextStep>> = {
  0: NextStep.CONTINUE,
  1: NextStep.SKIP,
  2: NextStep.DROP,
};
const STEP_NAME = ["CONTINUE", "SKIP", "DROP"];

export class ScriptRunner {
  readonly config: RunScriptConfig;
  private readonly log: Logger;

  constructor(config: RunScriptConfig, log: Logger) {
    this.config = config;
    this.log = log;
  }

  /**
   * Starts the script and returns at once (`sync: false`): the child is reaped in the background
   * and a failure (spawn error, non-zero exit, signal) is logged.
   */
  fire(hook: string, env: Env): void {
    this.start(hook, env, (o) => {
      if (o.kind === "error") {
        this.log.error("RUN_SCRIPT_SPAWN_FAILED", this.config.name, hook, o.message);
      } else if (!(o.kind === "exit" && o.code === 0)) {
        this.log.error("RUN_SCRIPT_FAILED", this.config.name, hook, describe(o));
      }
    });
  }

  /**
   * Runs the script and waits for it (`sync: true`), at most `timeoutMs` (then the child is
   * killed). Resolves with the next step its exit status asks for, or null to leave the status
   * as it is (any other status, a signal, a spawn error, the timeout: all logged).
   */
  run(hook: string, env: Env): Promise<NextStep | null> {
    return new Promise((resolveStep) => {
      this.start(
        hook,
        env,
        (o) => {
          if (o.kind === "exit") {
            const step = STATUS_STEP[o.code];
            if (step !== undefined) {
              this.log.debug(
                40,
                "RUN_SCRIPT_NEXT_STEP",
                this.config.name,
                hook,
                o.code,
                STEP_NAME[step],
              );
              resolveStep(step);
              return;
            }
            this.log.error("RUN_SCRIPT_BAD_STATUS", this.config.name, hook, o.code);
          } else if (o.kind === "timeout") {
            this.log.error("RUN_SCRIPT_TIMEOUT", this.config.name, hook, this.config.timeoutMs);
          } else if (o.kind === "error") {
            this.log.error("RUN_SCRIPT_SPAWN_FAILED", this.config.name, hook, o.message);
          } else {
            this.log.error("RUN_SCRIPT_FAILED", this.config.name, hook, describe(o));
          }
          resolveStep(null);
        },
        this.config.timeoutMs,
      );
    });
  }

  /** Spawns the script; `done` is called exactly once. */
  private start(hook: string, env: Env, done: (o: Outcome) => void, timeoutMs?: number): void {
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (o: Outcome) => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      done(o);
    };
    let child;
    try {
      // Only the generated variables: no PATH, no HOME (Kea's inherit_env = false). stdin is
      // closed; stdout and stderr are the server's, as a forked Kea child's are. The script
      // leads a process group of its own, so that a timeout ends whatever it started too.
      child = spawn(this.config.name, [hook], {
        env: { ...env },
        stdio: ["ignore", "inherit", "inherit"],
        detached: true,
      });
    } catch (err) {
      finish({ kind: "error", message: err instanceof Error ? err.message : String(err) });
      return;
    }
    child.once("error", (err) => finish({ kind: "error", message: err.message }));
    child.once("exit", (code, signal) => {
      if (code !== null) finish({ kind: "exit", code });
      else finish({ kind: "signal", signal: signal ?? "an unknown signal" });
    });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        // Kill the script's process group (the script and the programs it started); finish
        // now, the exit that follows is ignored.
        killGroup(child);
        finish({ kind: "timeout" });
      }, timeoutMs);
    }
  }
}

/** SIGKILL to the child's process group; to the child alone if the group is already gone. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
