import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";

import type { ControlAnswer } from "../../../src/hooks/types.ts";
import { startBed, unixCommand } from "./helpers.ts";

test("200 unix control clients connected at once are all answered, as Kea answers them", async () => {
  const bed = await startBed();
  const sockets: Socket[] = [];
  try {
    const n = 200;
    // Every connection is open (accepted or queued) before the first command is written; what
    // each one receives is recorded from the start (a connection the server closes at once too).
    const answers: Promise<string>[] = [];
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(bed.socketPath, () => resolve());
        sockets.push(s);
        const chunks: Buffer[] = [];
        s.on("data", (c: Buffer) => chunks.push(c));
        s.on("error", () => resolve());
        answers.push(
          new Promise<string>((done) =>
            s.on("close", () => done(Buffer.concat(chunks).toString("utf8"))),
          ),
        );
      });
    }
    for (const s of sockets) if (!s.destroyed) s.write('{ "command": "version-get" }');
    const texts = await Promise.all(answers);
    const results = texts.map((a) =>
      a === "" ? "closed" : (JSON.parse(a) as ControlAnswer).result,
    );
    assert.deepEqual(
      results.filter((r) => r !== 0),
      [],
      `${results.filter((r) => r === 0).length} of ${n} answered`,
    );
  } finally {
    for (const s of sockets) s.destroy();
    await bed.close();
  }
});

test("a 10 MB unix control command is parsed and answered", async () => {
  const bed = await startBed();
  try {
    const blob = "x".repeat(10 * 1024 * 1024);
    const answer = await unixCommand(bed.socketPath, {
      command: "no-such-command",
      arguments: { blob },
    });
    assert.deepEqual(answer, { result: 2, text: "'no-such-command' command not supported." });
    assert.equal((await unixCommand(bed.socketPath, { command: "version-get" })).result, 0);
  } finally {
    await bed.close();
  }
});
