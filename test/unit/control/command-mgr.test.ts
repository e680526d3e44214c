import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandMgr } from "../../../src/control/command-mgr.ts";
import { createAnswer } from "../../../src/control/answer.ts";
import { LogManager, defineMessages } from "../../../src/log/logger.ts";
import { testBed } from "../../helpers/hooks.ts";

test("a command's answer is handed back only after the log lines it wrote are flushed", async () => {
  const bed = testBed();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let flushes = 0;
  const mgr = new CommandMgr(bed.manager, bed.logManager.getLogger("commands"), async () => {
    flushes++;
    await gate;
  });
  mgr.registerCommand("ping", () => createAnswer(0, "pong"));
  let answered = false;
  const pending = mgr.processCommand({ command: "ping" }).then((a) => {
    answered = true;
    return a;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(flushes, 1);
  assert.equal(answered, false, "the answer waits for the log outputs");
  open();
  assert.deepEqual(await pending, { result: 0, text: "pong" });
  // A refused command (unknown name) waits the same way.
  const refused = await mgr.processCommand({ command: "no-such-command" });
  assert.equal(refused.result, 2);
  assert.equal(flushes, 2);
});

test("with the server's log manager, a line logged by a command is in its file when the answer arrives", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-cmd-log-"));
  const file = join(dir, "server.log");
  defineMessages({ TEST_COMMAND_LINE: "command ran: %1" });
  const logs = new LogManager("nestor-test");
  logs.configure([{ name: "nestor-test", severity: "INFO", outputs: [{ output: file }] }]);
  const bed = testBed();
  const log = logs.getLogger("commands");
  const mgr = new CommandMgr(bed.manager, log, () => logs.flush());
  let n = 0;
  mgr.registerCommand("note", () => {
    n++;
    log.info("TEST_COMMAND_LINE", String(n));
    return createAnswer(0, "noted");
  });
  try {
    for (let i = 1; i <= 20; i++) {
      const a = await mgr.processCommand({ command: "note" });
      assert.equal(a.result, 0);
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes("TEST_COMMAND_LINE"));
      assert.equal(lines.length, i, `after answer ${i}`);
      assert.match(lines[i - 1]!, new RegExp(`command ran: ${i}$`));
    }
  } finally {
    logs.close();
  }
});
