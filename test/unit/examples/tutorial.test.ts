import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHooksLibraries, type HookLibraryConfig } from "../../../src/hooks/config.ts";
import { HooksManager } from "../../../src/hooks/hooks-manager.ts";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { ServerHooks } from "../../../src/hooks/server-hooks.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { scratchDir } from "../../helpers/hooks.ts";

const LIBRARY = fileURLToPath(
  new URL("../../../examples/hooks/tutorial/tutorial.ts", import.meta.url),
);

function bed() {
  const lines: string[] = [];
  const logManager = new LogManager("nestor-dhcp4");
  logManager.configure([
    { name: "nestor-dhcp4", severity: "INFO", outputs: [(line) => lines.push(line)] },
  ]);
  const serverHooks = new ServerHooks();
  const hooks = {
    pkt4Receive: serverHooks.registerHook("pkt4_receive"),
    pkt4Send: serverHooks.registerHook("pkt4_send"),
  };
  const manager = new HooksManager({ serverHooks, logManager });
  return { manager, hooks, lines };
}

function config(parameters: JsonObject): HookLibraryConfig {
  return parseHooksLibraries([{ library: LIBRARY, parameters }])[0]!;
}

// The little of a Pkt4 the library reads.
function query(bytes: number[], text: string) {
  return { getHWAddr: () => ({ hwaddr: Uint8Array.from(bytes), toText: () => text }) };
}
function response(yiaddr: string) {
  return { getYiaddr: () => yiaddr };
}

/** How many of this process's file descriptors are open on the file (Linux). */
function openDescriptors(file: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(join("/proc/self/fd", fd)) === file) n++;
    } catch {
      // closed between the listing and the read
    }
  }
  return n;
}

test("the tutorial library logs interesting clients (hardware-address bytes summing to a multiple of 4) and closes its file on unload", async () => {
  const logFile = join(scratchDir(), "interesting.log");
  const { manager, hooks, lines } = bed();
  await manager.loadLibraries([config({ "log-file": logFile })]);
  assert.equal(manager.calloutsPresent(hooks.pkt4Receive), true);
  assert.equal(manager.calloutsPresent(hooks.pkt4Send), true);

  // Two requests in flight at once; each carries its own context from receive to send.
  const interesting = manager.createCalloutHandle();
  const boring = manager.createCalloutHandle();
  // 0x00 + 0x11 + 0x22 + 0x33 + 0x44 + 0x56 = 256, a multiple of 4; with 0x57 it is 257.
  interesting.setArgument(
    "query4",
    query([0, 0x11, 0x22, 0x33, 0x44, 0x56], "hwtype=1 00:11:22:33:44:56"),
  );
  boring.setArgument(
    "query4",
    query([0, 0x11, 0x22, 0x33, 0x44, 0x57], "hwtype=1 00:11:22:33:44:57"),
  );
  assert.equal(manager.callCallouts(hooks.pkt4Receive, interesting), undefined);
  assert.equal(manager.callCallouts(hooks.pkt4Receive, boring), undefined);

  boring.prepare().setArgument("response4", response("192.0.2.11"));
  interesting.prepare().setArgument("response4", response("192.0.2.10"));
  assert.equal(manager.callCallouts(hooks.pkt4Send, boring), undefined);
  assert.equal(manager.callCallouts(hooks.pkt4Send, interesting), undefined);
  assert.equal(interesting.getStatus(), NextStep.CONTINUE);
  assert.equal(boring.getStatus(), NextStep.CONTINUE);
  await interesting.release();
  await boring.release();

  assert.equal(readFileSync(logFile, "utf8"), "hwtype=1 00:11:22:33:44:56 192.0.2.10\n");
  if (existsSync("/proc/self/fd")) assert.equal(openDescriptors(logFile), 1);

  await manager.unloadLibraries();
  if (existsSync("/proc/self/fd")) assert.equal(openDescriptors(logFile), 0);
  assert.ok(
    lines.some((l) => l.includes(`[nestor-dhcp4.tutorial/`) && l.includes("TUTORIAL_OPENED")),
  );
  assert.ok(lines.some((l) => l.includes(`TUTORIAL_CLOSED closed ${logFile}`)));
  // Nothing is written once the library is gone.
  assert.equal(readFileSync(logFile, "utf8"), "hwtype=1 00:11:22:33:44:56 192.0.2.10\n");
});

test("the tutorial library refuses to load without a 'log-file' parameter", async () => {
  const { manager, hooks, lines } = bed();
  await assert.rejects(
    manager.loadLibraries([config({})]),
    /tutorial\.ts failed to load: load\(\) returned 1/,
  );
  assert.equal(manager.calloutsPresent(hooks.pkt4Receive), false);
  assert.ok(lines.some((l) => l.includes("TUTORIAL_NO_LOG_FILE")));
});

test("the tutorial library appends to an existing log file, and a file it cannot open refuses the load", async () => {
  const dir = scratchDir();
  const logFile = join(dir, "interesting.log");
  const { manager, hooks } = bed();
  await manager.loadLibraries([config({ "log-file": logFile })]);
  for (const yiaddr of ["192.0.2.20", "192.0.2.21"]) {
    const handle = manager.createCalloutHandle();
    handle.setArgument("query4", query([4], "hwtype=1 04"));
    manager.callCallouts(hooks.pkt4Receive, handle);
    handle.prepare().setArgument("response4", response(yiaddr));
    manager.callCallouts(hooks.pkt4Send, handle);
    await handle.release();
  }
  await manager.reloadLibraries();
  await manager.whenRetired();
  assert.equal(readFileSync(logFile, "utf8"), "hwtype=1 04 192.0.2.20\nhwtype=1 04 192.0.2.21\n");
  await manager.unloadLibraries();
  await assert.rejects(
    manager.loadLibraries([config({ "log-file": join(dir, "no-such-dir", "x.log") })]),
    /load\(\) returned 1/,
  );
});
