import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { FIXTURES, body4, dora, httpCommand, mac, startBed, transports } from "./helpers.ts";

const chained = (tag: string) => ({ library: join(FIXTURES, "chained.ts"), parameters: { tag } });
const loads = () => (globalThis as { nestorControlLoads?: number }).nestorControlLoads ?? 0;

test("two handlers of one library chained on one command, dispatched over both transports", async () => {
  const bed = await startBed({ "hooks-libraries": [chained("a")] });
  try {
    for (const [name, send] of transports(bed)) {
      const list = await send({ command: "list-commands" });
      assert.ok((list.arguments as string[]).includes("chain-test"), name);
      assert.ok((list.arguments as string[]).includes("load-count"), name);
      const a = await send({ command: "chain-test", arguments: { x: 1 } });
      assert.deepEqual(a, { result: 0, text: "a:first a:second", arguments: { echo: { x: 1 } } });
    }
  } finally {
    await bed.close();
  }
});

test("handlers of several libraries are called in library order, each seeing the previous answer", async () => {
  const bed = await startBed({ "hooks-libraries": [chained("a"), chained("b")] });
  try {
    const a = await httpCommand(bed.httpPort, { command: "chain-test" });
    assert.equal(a.text, "a:first a:second b:first b:second");
  } finally {
    await bed.close();
  }
});

test("command_processed sees every command and may replace the answer", async () => {
  const bed = await startBed({ "hooks-libraries": [chained("p")] });
  try {
    for (const [name, send] of transports(bed)) {
      const a = await send({ command: "version-get" });
      assert.equal(a["processed-by"], "p", name);
      assert.equal(a.result, 0);
    }
  } finally {
    await bed.close();
  }
});

test("libreload imports the libraries afresh; the command is gone once the library is", async () => {
  const bed = await startBed({ "hooks-libraries": [chained("r")] });
  try {
    const before = loads();
    const r = await httpCommand(bed.httpPort, { command: "libreload" });
    assert.equal(r.result, 0, r.text);
    assert.equal(loads(), before + 1);
    const count = await httpCommand(bed.httpPort, { command: "load-count" });
    assert.deepEqual(count.arguments, { loads: before + 1 });
    const set = await httpCommand(bed.httpPort, {
      command: "config-set",
      arguments: { Dhcp4: body4() },
    });
    assert.equal(set.result, 0, set.text);
    const gone = await httpCommand(bed.httpPort, { command: "chain-test" });
    assert.equal(gone.result, 2);
  } finally {
    await bed.close();
  }
});

test("libreload of a library edited on disk takes the new code", async () => {
  const bed0 = await startBed();
  const dir = bed0.dir;
  await bed0.close();
  const lib = join(dir, "edited.ts");
  const source = (word: string) =>
    `import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export function load(h: LibraryHandle) {
  h.registerCommandCallout("word", (c: CalloutHandle<"$command">) => {
    c.setArgument("response", { result: 0, text: "${word}" });
    return 0;
  });
  return 0;
}
`;
  writeFileSync(lib, source("before"));
  const bed = await startBed({ "hooks-libraries": [{ library: lib }] });
  try {
    assert.equal((await httpCommand(bed.httpPort, { command: "word" })).text, "before");
    writeFileSync(lib, source("after"));
    assert.equal((await httpCommand(bed.httpPort, { command: "libreload" })).result, 0);
    assert.equal((await httpCommand(bed.httpPort, { command: "word" })).text, "after");
    writeFileSync(lib, "export const broken = ;");
    const failed = await httpCommand(bed.httpPort, { command: "libreload" });
    assert.equal(failed.result, 1);
    assert.match(failed.text!, /Failed to reload hooks libraries/);
    assert.equal((await httpCommand(bed.httpPort, { command: "word" })).text, "after");
  } finally {
    await bed.close();
  }
});

test("config-set naming a library that fails leaves the running configuration and libraries", async () => {
  const bed = await startBed({ "hooks-libraries": [chained("keep")] });
  try {
    for (const bad of ["load-fails.ts", "no-version.ts", "missing.ts"]) {
      const body = body4({
        "valid-lifetime": 100,
        "hooks-libraries": [{ library: join(FIXTURES, bad) }],
      });
      for (const command of ["config-test", "config-set"]) {
        const a = await httpCommand(bed.httpPort, { command, arguments: { Dhcp4: body } });
        // config-test checks libraries as Kea's validateLibraries does (import, version()),
        // without calling load(): only config-set finds that load() fails.
        const expected = command === "config-test" && bad === "load-fails.ts" ? 0 : 1;
        assert.equal(a.result, expected, `${command} ${bad}: ${a.text}`);
      }
      assert.equal(bed.server.configuration["valid-lifetime"], 4000);
      const still = await httpCommand(bed.httpPort, { command: "chain-test" });
      assert.equal(still.text, "keep:first keep:second", bad);
    }
    assert.equal((await dora(bed, mac(1)))?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("a hook library may take over a built-in command (hook handlers win, as in Kea)", async () => {
  const bed0 = await startBed();
  const dir = bed0.dir;
  await bed0.close();
  const lib = join(dir, "override.ts");
  writeFileSync(
    lib,
    `import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export function load(h: LibraryHandle) {
  h.registerCommandCallout("server-tag-get", (c: CalloutHandle<"$command">) => {
    c.setArgument("response", { result: 0, arguments: { "server-tag": "from-hook" } });
    return 0;
  });
  h.registerCommandCallout("no-answer", () => 0);
  return 0;
}
`,
  );
  const bed = await startBed({ "hooks-libraries": [{ library: lib }] });
  try {
    const a = await httpCommand(bed.httpPort, { command: "server-tag-get" });
    assert.deepEqual(a.arguments as JsonObject, { "server-tag": "from-hook" });
    const none = await httpCommand(bed.httpPort, { command: "no-answer" });
    assert.equal(none.result, 1);
  } finally {
    await bed.close();
  }
});
