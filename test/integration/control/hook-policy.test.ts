/**
 * `libreload` of one library over the control channel (Nestor's `{"library": ...}` argument),
 * and `parked-packet-limit` read from the configuration by a running server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dora, httpCommand, mac, startBed } from "./helpers.ts";

const PARKER = fileURLToPath(new URL("../../fixtures/hooks-park/parker.ts", import.meta.url));

const counter = `import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
let count = 0;
export function load(h: LibraryHandle) {
  h.registerCommandCallout("count", (c: CalloutHandle<"$command">) => {
    count++;
    c.setArgument("response", { result: 0, text: String(count) });
    return 0;
  });
  return 0;
}
`;

const word = (
  w: string,
) => `import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export function load(h: LibraryHandle) {
  h.registerCommandCallout("word", (c: CalloutHandle<"$command">) => {
    c.setArgument("response", { result: 0, text: "${w}" });
    return 0;
  });
  return 0;
}
`;

test('libreload {"library": ...} reloads that library only; the other keeps its state', async () => {
  const probe = await startBed();
  const dir = probe.dir;
  await probe.close();
  const counterLib = join(dir, "counter.ts");
  const wordLib = join(dir, "word.ts");
  writeFileSync(counterLib, counter);
  writeFileSync(wordLib, word("before"));
  const bed = await startBed({
    "hooks-libraries": [{ library: counterLib }, { library: wordLib }],
  });
  const send = (command: string, args?: object) =>
    httpCommand(bed.httpPort, args === undefined ? { command } : { command, arguments: args });
  try {
    assert.equal((await send("count")).text, "1");
    assert.equal((await send("count")).text, "2");
    writeFileSync(wordLib, word("after"));
    const r = await send("libreload", { library: wordLib });
    assert.equal(r.result, 0, r.text);
    assert.equal(r.text, `Hooks library '${wordLib}' successfully reloaded.`);
    assert.equal((await send("word")).text, "after");
    // The counter library was not reloaded: same instance, same count.
    assert.equal((await send("count")).text, "3");

    const missing = await send("libreload", { library: join(dir, "nope.ts") });
    assert.equal(missing.result, 1);
    assert.match(
      missing.text!,
      /Failed to reload hooks libraries: .*nope\.ts.*no such library is loaded/,
    );
    const bad = await send("libreload", { library: 5 });
    assert.equal(bad.result, 1);
    assert.equal(bad.text, "'library' parameter expected to be a string.");
    writeFileSync(wordLib, "export const broken = ;");
    const failed = await send("libreload", { library: wordLib });
    assert.equal(failed.result, 1);
    assert.equal((await send("word")).text, "after");
    assert.equal((await send("count")).text, "4");

    // Without the argument every library is reloaded, as Kea does.
    writeFileSync(wordLib, word("again"));
    assert.equal((await send("libreload")).result, 0);
    assert.equal((await send("count")).text, "1");
    assert.equal((await send("word")).text, "again");
  } finally {
    await bed.close();
  }
});

test("a running server honours parked-packet-limit from its configuration", async () => {
  const g = globalThis as { nestorParked?: { unpark: () => boolean }[] };
  g.nestorParked = [];
  const bed = await startBed({
    "parked-packet-limit": 1,
    "hooks-libraries": [
      { library: PARKER, parameters: { hook: "leases4_committed", query: "query4" } },
    ],
  });
  const stat = async (name: string) => {
    const s = await httpCommand(bed.httpPort, { command: "statistic-get", arguments: { name } });
    const rows = (s.arguments as Record<string, [number, string][]>)[name]!;
    return rows[0]![0];
  };
  try {
    // The test relay has one waiter: the first client's ACK is read from the statistics.
    const first = dora(bed, mac(1), 1000);
    for (let i = 0; i < 100 && g.nestorParked.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(g.nestorParked.length, 1, "the first REQUEST is parked");
    // The second client's REQUEST would be parked too: over the limit, dropped and counted.
    assert.equal(await dora(bed, mac(2), 500), null);
    assert.equal(await stat("pkt4-receive-drop"), 1);
    assert.equal(await stat("pkt4-ack-sent"), 0);
    g.nestorParked[0]!.unpark();
    let acks = 0;
    for (let i = 0; i < 100 && acks === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      acks = await stat("pkt4-ack-sent");
    }
    assert.equal(acks, 1, "the parked client gets its ACK once unparked");
    await first;
  } finally {
    await bed.close();
  }
});

test("a server stopping drops its parked queries instead of waiting for them", async () => {
  const g = globalThis as { nestorParked?: { unpark: () => boolean }[] };
  g.nestorParked = [];
  const bed = await startBed({
    "hooks-libraries": [
      {
        library: PARKER,
        parameters: { hook: "leases4_committed", query: "query4" },
        "timeout-ms": 60_000,
      },
    ],
  });
  let closed = false;
  try {
    const client = dora(bed, mac(3), 1000);
    for (let i = 0; i < 100 && g.nestorParked.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(g.nestorParked.length, 1, "the REQUEST is parked");
    const started = performance.now();
    await bed.close();
    closed = true;
    const took = performance.now() - started;
    assert.ok(took < 5_000, `stopped in ${took} ms, not after the 60 s timeout-ms`);
    assert.equal(await client, null, "a dropped parked query gets no answer");
    assert.equal(g.nestorParked[0]!.unpark(), false, "nothing is left parked");
  } finally {
    if (!closed) await bed.close();
  }
});
