// The security policy (src/dhcpsrv/config/security.ts): an HTTP control socket off loopback
// without authentication is refused with the key and the reason (a warning under -X), and a
// configuration from the control channel may not name paths outside the start-up directories.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import {
  checkConfinement,
  confinedDirectories,
  setSecurityChecks,
} from "../../../../src/dhcpsrv/config/security.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";

afterEach(() => setSecurityChecks(true));

const http = (socket: object) =>
  JSON.stringify({ Dhcp4: { "control-sockets": [{ "socket-type": "http", ...socket }] } });

describe("HTTP control sockets", () => {
  test("off loopback without authentication: refused with the file, key and reason", () => {
    assert.throws(
      () =>
        parseConfigText(http({ "socket-address": "0.0.0.0", "socket-port": 8000 }), 4, "k.conf"),
      (e: ConfigFileError) => {
        assert.ok(e instanceof ConfigFileError);
        assert.equal(e.path, "Dhcp4.control-sockets[0]");
        assert.equal(e.file, "k.conf");
        assert.match(e.message, /^k\.conf:1:\d+: Dhcp4\.control-sockets\[0\]: security policy:/);
        assert.match(e.reason, /on 0\.0\.0\.0 without 'authentication'.*-X/);
        return true;
      },
    );
    const v6 = JSON.stringify({
      Dhcp6: { "control-sockets": [{ "socket-type": "https", "socket-address": "2001:db8::1" }] },
    });
    assert.throws(() => parseConfigText(v6, 6, "k6.conf"), /security policy/);
  });

  test("on loopback, by default (127.0.0.1), or with authentication: accepted", () => {
    for (const socket of [
      { "socket-address": "127.0.0.1" },
      { "socket-address": "::1" },
      {},
      {
        "socket-address": "198.51.100.1",
        authentication: { type: "basic", clients: [{ user: "a", password: "b" }] },
      },
    ]) {
      const loaded = parseConfigText(http(socket), 4, "k.conf");
      assert.deepEqual(
        loaded.warnings.filter((w) => /security/.test(w.text)),
        [],
      );
    }
  });

  test("-X: accepted with a warning naming the same key and reason", () => {
    setSecurityChecks(false);
    const loaded = parseConfigText(http({ "socket-address": "198.51.100.1" }), 4, "k.conf");
    const [warning] = loaded.warnings.filter((w) => /security policy/.test(w.text));
    assert.ok(warning !== undefined);
    assert.match(warning.text, /Dhcp4\.control-sockets\[0\].*198\.51\.100\.1 without/);
  });
});

describe("paths from the control channel", () => {
  const startup = {
    "hooks-libraries": [
      { library: "/etc/nestor/hooks/audit.js" },
      {
        library: "/usr/lib/kea/hooks/libdhcp_run_script.so",
        parameters: { name: "/etc/nestor/scripts/notify.sh" },
      },
    ],
    "lease-database": { type: "memfile", name: "/var/lib/nestor/leases4.csv" },
    loggers: [{ name: "kea-dhcp4", "output-options": [{ output: "/var/log/nestor/dhcp4.log" }] }],
    "control-socket": { "socket-type": "unix", "socket-name": "/run/nestor/dhcp4.sock" },
  };
  const dirs = confinedDirectories(startup, "/etc/nestor");
  const check = (body: object, warn: (t: string) => void = () => assert.fail("no warning")) =>
    checkConfinement(body, "Dhcp4", "/etc/nestor", dirs, warn);

  test("the start-up configuration's own directories are allowed, by purpose", () => {
    assert.deepEqual([...dirs.code].sort(), ["/etc/nestor/hooks", "/etc/nestor/scripts"]);
    assert.deepEqual([...dirs.written].sort(), [
      "/run/nestor",
      "/var/lib/nestor",
      "/var/log/nestor",
    ]);
    check(startup);
    check({
      "hooks-libraries": [{ library: "hooks/other.js" }],
      "lease-database": { name: "/var/lib/nestor/other.csv" },
      loggers: [{ name: "x", "output-options": [{ output: "/var/log/nestor/sub/x.log" }] }],
    });
  });

  test("a library, script, lease file, log file or socket elsewhere is refused by key", () => {
    const cases: [object, RegExp][] = [
      [
        { "hooks-libraries": [{ library: "/tmp/evil.js" }] },
        /hooks-libraries\[0\]\.library.*\/tmp\/evil\.js/,
      ],
      // A file the server writes never becomes code it loads.
      [
        { "hooks-libraries": [{ library: "/var/lib/nestor/leases4.csv" }] },
        /hooks-libraries\[0\]\.library: security policy: '\/var\/lib\/nestor\/leases4\.csv'/,
      ],
      [
        {
          "hooks-libraries": [
            { library: "libdhcp_run_script.so", parameters: { name: "/tmp/x.sh" } },
          ],
        },
        /hooks-libraries\[0\]\.parameters\.name/,
      ],
      [{ "lease-database": { type: "memfile", name: "/etc/cron.d/x" } }, /lease-database\.name/],
      [
        { loggers: [{ name: "x", "output-options": [{ output: "/etc/profile.d/x.sh" }] }] },
        /loggers\[0\]\.output-options\[0\]\.output/,
      ],
      [
        { "control-socket": { "socket-type": "unix", "socket-name": "/tmp/s.sock" } },
        /control-socket\.socket-name/,
      ],
    ];
    for (const [body, pattern] of cases) {
      assert.throws(() => check(body), pattern);
      assert.throws(() => check(body), /outside the directories .* started with/);
    }
  });

  test("NESTOR_HOOKS_PATH is a directory code may come from", () => {
    const saved = process.env.NESTOR_HOOKS_PATH;
    process.env.NESTOR_HOOKS_PATH = "/opt/nestor-hooks";
    try {
      const withPath = confinedDirectories({}, "/etc/nestor");
      checkConfinement(
        { "hooks-libraries": [{ library: "/opt/nestor-hooks/node_modules/x/index.js" }] },
        "Dhcp4",
        "/etc/nestor",
        withPath,
        () => assert.fail("no warning"),
      );
    } finally {
      if (saved === undefined) delete process.env.NESTOR_HOOKS_PATH;
      else process.env.NESTOR_HOOKS_PATH = saved;
    }
  });

  test("-X: warned, not refused", () => {
    setSecurityChecks(false);
    const warnings: string[] = [];
    check({ "lease-database": { name: "/tmp/l.csv" } }, (t) => warnings.push(t));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /lease-database\.name: security policy: '\/tmp\/l\.csv'/);
  });
});
