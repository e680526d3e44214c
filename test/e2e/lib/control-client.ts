/**
 * A client of a server's unix control socket, Kea's or Nestor's: one JSON command a connection,
 * the answer read until it parses (the server closes the connection after it), bounded in time.
 * (nestor-ctl, the operator's client, keeps its socket code to itself; the suites that want to
 * exercise it run the program.)
 */
import { createConnection } from "node:net";

import { waitFor, type Proc } from "./netns.ts";

/** A control answer: `result` 0 success, 1 error, 2 unsupported, 3 empty, 4 conflict. */
export interface ControlAnswer {
  result: number;
  text?: string;
  arguments?: unknown;
}

/** Sends `cmd` to the unix socket `socket`; the answer, or a rejection after `timeoutMs`. */
export function controlCommand(
  socket: string,
  cmd: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    let text = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer to ${String(cmd.command)} on ${socket}`));
    }, timeoutMs);
    const done = (): boolean => {
      try {
        const answer = JSON.parse(text) as ControlAnswer;
        clearTimeout(timer);
        sock.destroy();
        resolve(answer);
        return true;
      } catch {
        return false;
      }
    };
    sock.on("connect", () => sock.write(JSON.stringify(cmd)));
    sock.on("data", (d: Buffer) => {
      text += d.toString("utf8");
      done();
    });
    sock.on("end", () => {
      if (!done()) {
        clearTimeout(timer);
        reject(new Error(`bad answer: ${text}`));
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Waits until the server `proc` answers `version-get` on `socket`, at most `timeoutMs`; fails at
 * once, with its output, if it exits first.
 */
export async function waitForControl(
  socket: string,
  proc: Proc,
  timeoutMs = 15_000,
): Promise<void> {
  let answered = false;
  let asking = false;
  await waitFor(
    `${proc.label} to answer on ${socket}`,
    () => {
      if (answered) return true;
      if (!proc.running) {
        throw new Error(
          `${proc.label} exited (${proc.exitCode ?? proc.exitSignal}):\n${proc.output}`,
        );
      }
      if (!asking) {
        asking = true;
        controlCommand(socket, { command: "version-get" }, 2000).then(
          () => (answered = true),
          () => (asking = false),
        );
      }
      return undefined;
    },
    timeoutMs,
    () => `${proc.label} output:\n${proc.output}`,
  );
}

/** A statistic's latest value through `statistic-get` (0 when the server has no sample). */
export async function statistic(socket: string, name: string): Promise<number> {
  const a = await controlCommand(socket, { command: "statistic-get", arguments: { name } });
  const samples = (a.arguments as Record<string, [number, string][]> | undefined)?.[name];
  return samples === undefined || samples.length === 0 ? 0 : Number(samples[0]![0]);
}
