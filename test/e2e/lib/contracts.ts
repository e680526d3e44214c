/**
 * What the contract suites (refusals-kea, contracts-kea) run beside Kea 2.2: a server of either
 * kind run to completion on a configuration it is expected to refuse (-t or -c), its output and
 * the message IDs it logged at each severity; and a server of either kind started offline (no
 * interfaces, so outside any namespace) with a unix control socket, driven by commands.
 */
import { spawnSync } from "node:child_process";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import type { JsonObject } from "../../../src/hooks/types.ts";
import { controlCommand, waitForControl, type ControlAnswer } from "./control-client.ts";
import { keaEnv, type Family, type Who } from "./kea.ts";
import { bin, Proc } from "./netns.ts";

/** The command line of nestor-dhcpN. */
export function nestorCli(family: Family): string {
  return fileURLToPath(new URL(`../../../src/cli/nestor-dhcp${family}.ts`, import.meta.url));
}

export interface RunResult {
  status: number | null;
  output: string;
}

/** `kea-dhcpN flag file` or `nestor-dhcpN flag file`, run to completion (30 s at most). */
export function runServer(
  who: Who,
  family: Family,
  flag: "-t" | "-c",
  file: string,
  dir: string,
): RunResult {
  const [cmd, args] =
    who === "kea"
      ? [bin(`kea-dhcp${family}`), [flag, file]]
      : [process.execPath, [nestorCli(family), flag, file]];
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...keaEnv(dir), NESTOR_PIDFILE_DIR: dir },
  });
  return { status: r.status, output: `${r.stdout ?? ""}\n${r.stderr ?? ""}` };
}

/** The message IDs logged at a severity ("ERROR", "INFO", "DEBUG"...), in order. */
export function loggedIds(output: string, severity: string): string[] {
  const re = new RegExp(`^\\S+ \\S+ ${severity}\\s+\\[[^\\]]+\\] ([A-Z0-9_]+)`, "gm");
  return [...output.matchAll(re)].map((m) => m[1]!);
}

/** The lines that logged `id`. */
export function linesOf(output: string, id: string): string[] {
  return output.split("\n").filter((l) => new RegExp(`\\] ${id}( |$)`).test(l));
}

/** A server started offline on a configuration with a unix control socket `socket`. */
export class OfflineServer {
  readonly who: Who;
  readonly socket: string;
  readonly proc: Proc;

  private constructor(who: Who, socket: string, proc: Proc) {
    this.who = who;
    this.socket = socket;
    this.proc = proc;
  }

  /** Starts it and waits until its control socket answers. */
  static async start(
    who: Who,
    family: Family,
    file: string,
    socket: string,
    dir: string,
  ): Promise<OfflineServer> {
    const [cmd, args] =
      who === "kea"
        ? [bin(`kea-dhcp${family}`), ["-c", file]]
        : [process.execPath, [nestorCli(family), "-c", file]];
    const child = spawn(cmd, args, {
      env: { ...keaEnv(dir), NESTOR_PIDFILE_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = new Proc(`${who}-dhcp${family}`, child);
    await waitForControl(socket, proc);
    return new OfflineServer(who, socket, proc);
  }

  command(cmd: JsonObject): Promise<ControlAnswer> {
    return controlCommand(this.socket, cmd);
  }

  get output(): string {
    return this.proc.output;
  }

  async stop(): Promise<void> {
    await this.proc.stop(10_000);
  }
}
