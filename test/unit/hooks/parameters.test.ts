import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHooksLibraries } from "../../../src/hooks/config.ts";
import { ConfigError } from "../../../src/util/errors.ts";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";

const GUIDE_PARAMETERS = {
  mail: "spam@example.com",
  floor: 13,
  debug: false,
  users: ["alice", "bob", "charlie"],
  languages: { french: "bonjour", klingon: "yl'el" },
};

test("load() reads its parameters: values as JSON, undefined when absent, names and the whole map", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "params.ts",
    `import { HOOKS_VERSION, type LibraryHandle, type JsonValue } from "nestor/hooks";
     const g = globalThis as { nestorParams?: Record<string, unknown> };
     export const version = (): number => HOOKS_VERSION;
     export function load(h: LibraryHandle): number {
       const mail: JsonValue | undefined = h.getParameter("mail");
       if (typeof mail !== "string") return 1;
       g.nestorParams = {
         mail, floor: h.getParameter("floor"), debug: h.getParameter("debug"),
         users: h.getParameter("users"), klingon: (h.getParameter("languages") as Record<string, JsonValue>)["klingon"],
         missing: h.getParameter("watch-list"), names: h.getParameterNames(), all: h.getParameters(),
       };
       return 0;
     }`,
    GUIDE_PARAMETERS,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const seen = (globalThis as { nestorParams?: Record<string, unknown> }).nestorParams!;
  assert.equal(seen["mail"], "spam@example.com");
  assert.equal(seen["floor"], 13);
  assert.equal(seen["debug"], false);
  assert.deepEqual(seen["users"], ["alice", "bob", "charlie"]);
  assert.equal(seen["klingon"], "yl'el");
  assert.equal(seen["missing"], undefined);
  assert.deepEqual(seen["names"], ["mail", "floor", "debug", "users", "languages"]);
  assert.deepEqual(seen["all"], GUIDE_PARAMETERS);
  await bed.manager.unloadLibraries();
});

test("a library without parameters, or with an empty map, sees none", () => {
  const [a, b] = parseHooksLibraries([
    { library: "/opt/first.ts" },
    { library: "/opt/second.ts", parameters: {} },
  ]);
  assert.equal(a!.parameters, undefined);
  assert.deepEqual(b!.parameters, {});
});

test("parameters that are not a map are a configuration error naming file, key and reason", () => {
  assert.throws(
    () =>
      parseHooksLibraries(
        [{ library: "/opt/x.ts", parameters: ["a"] }],
        "Dhcp4.hooks-libraries",
        "/etc/nestor/kea-dhcp4.conf",
      ),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, "/etc/nestor/kea-dhcp4.conf");
      assert.equal(err.path, "Dhcp4.hooks-libraries[0].parameters");
      assert.equal(err.reason, "'parameters' must be a map");
      return true;
    },
  );
  assert.throws(
    () => parseHooksLibraries([{ library: "/opt/x.ts", parameters: "text" }]),
    /must be a map/,
  );
});

test("hooks-libraries entries are validated: list, map, library string, no unknown keys", () => {
  assert.throws(() => parseHooksLibraries({ library: "/x.ts" }), /hooks-libraries: must be a list/);
  assert.throws(() => parseHooksLibraries(["/x.ts"]), /hooks-libraries\[0\]: must be a map/);
  assert.throws(
    () => parseHooksLibraries([{ parameters: {} }]),
    /hooks-libraries\[0\]\.library: 'library' must be a non-empty string/,
  );
  assert.throws(
    () => parseHooksLibraries([{ library: "/x.ts", paramaters: {} }]),
    /unknown hooks library parameter 'paramaters'/,
  );
  assert.deepEqual(parseHooksLibraries(undefined), []);
});

test("a relative library path is taken from the configuration file's directory", () => {
  const [lib] = parseHooksLibraries(
    [{ library: "hooks/audit.ts" }],
    "hooks-libraries",
    "/etc/nestor/dhcp4.json",
  );
  assert.equal(lib!.path, "/etc/nestor/hooks/audit.ts");
  assert.equal(lib!.library, "hooks/audit.ts");
});

test("a library cannot change the running configuration through its parameters", () => {
  const [lib] = parseHooksLibraries([{ library: "/x.ts", parameters: { users: ["alice"] } }]);
  assert.throws(() => (lib!.parameters!["users"] as string[]).push("mallory"), TypeError);
});
