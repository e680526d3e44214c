import { test } from "node:test";
import assert from "node:assert/strict";
import { LogManager } from "../../../src/log/logger.ts";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";

test("a library's logger is named <server logger>.<name> and inherits the root logger's configuration", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "logs.ts",
    `import { HOOKS_VERSION, defineMessages, type LibraryHandle } from "nestor/hooks";
     defineMessages({ CAPTURE_STARTED: "packet capture started on %1" });
     export const version = (): number => HOOKS_VERSION;
     export function load(h: LibraryHandle): number {
       const log = h.createLogger("packet-capture");
       log.info("CAPTURE_STARTED", "eth0");
       log.debug(50, "CAPTURE_DETAIL", "not shown at INFO");
       return 0;
     }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const line = bed.lines.find((l) => l.includes("CAPTURE_STARTED"));
  assert.ok(line);
  assert.match(
    line,
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}\[nestor-test\.packet-capture\/\d+\] CAPTURE_STARTED packet capture started on eth0\n$/,
  );
  assert.ok(!bed.lines.some((l) => l.includes("CAPTURE_DETAIL")));
  await bed.manager.unloadLibraries();
});

test("a library logger configured by name overrides the root configuration", () => {
  const root: string[] = [];
  const own: string[] = [];
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([
    { name: "nestor-dhcp4", severity: "WARN", outputs: [(l) => root.push(l)] },
    {
      name: "nestor-dhcp4.packet-capture",
      severity: "DEBUG",
      debuglevel: 50,
      outputs: [(l) => own.push(l)],
    },
  ]);
  const lib = logs.getLogger("packet-capture");
  const server = logs.getLogger("dhcp4");
  lib.debug(50, "CAPTURE_DETAIL", "x");
  lib.debug(55, "CAPTURE_TOO_DETAILED", "y");
  server.info("DHCP4_STARTED");
  server.warn("DHCP4_WARNED");
  assert.equal(own.length, 1);
  assert.match(own[0]!, /DEBUG \[nestor-dhcp4\.packet-capture\/\d+\] CAPTURE_DETAIL x/);
  assert.equal(root.length, 1);
  assert.match(root[0]!, /WARN {2}\[nestor-dhcp4\.dhcp4\/\d+\] DHCP4_WARNED/);
});

test("severity NONE silences a subtree and forced debug (-d) enables everything", () => {
  const out: string[] = [];
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([
    { name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => out.push(l)] },
    { name: "nestor-dhcp4.packets", severity: "NONE" },
  ]);
  logs.getLogger("packets").fatal("QUIET");
  assert.equal(out.length, 0);
  logs.configure([{ name: "nestor-dhcp4", outputs: [(l) => out.push(l)] }], { forceDebug: true });
  logs.getLogger("packets").debug(99, "LOUD");
  assert.equal(out.length, 1);
});
