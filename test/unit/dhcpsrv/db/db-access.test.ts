import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { LogManager } from "../../../../src/log/logger.ts";
import { ConfigError } from "../../../../src/util/errors.ts";
import {
  checkSchemaVersion,
  DbReconnectControl,
  DbSchemaError,
  parseDbAccess,
  pgPoolConfig,
} from "../../../../src/dhcpsrv/db/db-access.ts";
import { PgKea } from "../../../helpers/pg-kea.ts";

const P = "Dhcp4/lease-database";

function refused(map: Record<string, unknown>, key: RegExp, reason: RegExp): void {
  assert.throws(
    () => parseDbAccess(map, P, "kea-dhcp4.conf"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, "kea-dhcp4.conf");
      assert.match(err.path, key);
      assert.match(err.reason, reason);
      return true;
    },
  );
}

describe("parseDbAccess: Kea's database keys", () => {
  it("fills Kea's defaults: localhost:5432, 5 s connect timeout, no reconnect, stop-retry-exit", () => {
    const db = parseDbAccess({ type: "postgresql", name: "kea" }, P);
    assert.deepEqual(db, {
      type: "postgresql",
      name: "kea",
      host: "localhost",
      port: 5432,
      user: undefined,
      password: undefined,
      connectTimeout: 5,
      maxReconnectTries: 0,
      reconnectWaitTime: 0,
      onFail: "stop-retry-exit",
      readonly: false,
    });
  });

  it("reads every key a Kea 2.2 configuration may give", () => {
    const db = parseDbAccess(
      {
        type: "postgresql",
        name: "leases",
        host: "/run/postgresql",
        port: 5433,
        user: "kea",
        password: "secret",
        "connect-timeout": 10,
        "max-reconnect-tries": 7,
        "reconnect-wait-time": 1500,
        "on-fail": "serve-retry-continue",
        readonly: true,
      },
      P,
    );
    assert.equal(db.host, "/run/postgresql");
    assert.equal(db.port, 5433);
    assert.equal(db.user, "kea");
    assert.equal(db.password, "secret");
    assert.equal(db.connectTimeout, 10);
    assert.equal(db.maxReconnectTries, 7);
    assert.equal(db.reconnectWaitTime, 1500);
    assert.equal(db.onFail, "serve-retry-continue");
    assert.equal(db.readonly, true);
  });

  it("refuses a missing name, a bad on-fail, numbers out of range, unknown and TLS keys", () => {
    refused({ type: "postgresql" }, /^Dhcp4\/lease-database$/, /name is mandatory/);
    refused(
      { type: "postgresql", name: "k", "on-fail": "retry" },
      /on-fail$/,
      /on-fail 'retry' is invalid: expected one of 'stop-retry-exit'/,
    );
    refused(
      { type: "postgresql", name: "k", port: 70000 },
      /port$/,
      /port value: 70000 is out of range, expected value: 0\.\.65535/,
    );
    refused(
      { type: "postgresql", name: "k", "max-reconnect-tries": -1 },
      /max-reconnect-tries$/,
      /out of range/,
    );
    refused(
      { type: "postgresql", name: "k", "connect-timeout": "5" },
      /connect-timeout$/,
      /integer/,
    );
    refused({ type: "postgresql", name: "k", bogus: 1 }, /bogus$/, /unknown database parameter/);
    refused({ type: "postgresql", name: "k", "cert-file": "/x" }, /cert-file$/, /TLS/);
  });

  it("builds pg's settings: a unix-socket directory as host, connect-timeout in ms", () => {
    const db = parseDbAccess(
      { type: "postgresql", name: "kea", host: "/var/run/postgresql", user: "u", password: "p" },
      P,
    );
    const cfg = pgPoolConfig(db, { max: 2, applicationName: "nestor-dhcp4" });
    assert.equal(cfg.host, "/var/run/postgresql");
    assert.equal(cfg.database, "kea");
    assert.equal(cfg.user, "u");
    assert.equal(cfg.password, "p");
    assert.equal(cfg.max, 2);
    assert.equal(cfg.connectionTimeoutMillis, 5000);
    assert.equal(cfg.application_name, "nestor-dhcp4");
  });
});

describe("checkSchemaVersion against a database made by Kea 2.2's kea-admin", () => {
  let server: PgKea;
  before(async () => {
    server = await PgKea.start();
  });
  after(async () => {
    await server?.stop();
  });

  it("accepts kea-admin's schema (13.0) and refuses another version or no schema", async () => {
    const db = server.createKeaDatabase("kea_schema_ok");
    const client = new pg.Client({
      host: db.host,
      port: db.port,
      database: db.name,
      user: db.user,
      password: db.password,
    });
    await client.connect();
    try {
      assert.deepEqual(await checkSchemaVersion(client, { name: db.name, host: db.host }), {
        major: 13,
        minor: 0,
      });
      await client.query("UPDATE schema_version SET version = 12, minor = 0");
      await assert.rejects(
        checkSchemaVersion(client, { name: db.name, host: db.host }),
        (err: unknown) =>
          err instanceof DbSchemaError &&
          /schema version 12\.0, Nestor needs 13\.0 \(Kea 2\.2's\): upgrade it with 'kea-admin db-upgrade pgsql'/.test(
            err.message,
          ),
      );
    } finally {
      await client.end();
    }
    server.psql("CREATE DATABASE empty_db");
    const empty = new pg.Client(server.connection("empty_db"));
    await empty.connect();
    try {
      await assert.rejects(
        checkSchemaVersion(empty, { name: "empty_db", host: server.socketDir }),
        /database 'empty_db' .* has no Kea schema .*kea-admin db-init pgsql/,
      );
    } finally {
      await empty.end();
    }
  });
});

describe("DbReconnectControl: Kea's reconnect policy", () => {
  function harness(keys: Record<string, unknown>, outcomes: boolean[]) {
    const db = parseDbAccess({ type: "postgresql", name: "k", ...keys }, P);
    const lines: string[] = [];
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([{ name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => lines.push(l)] }]);
    const events: string[] = [];
    let exitCode: number | null = null;
    let attempts = 0;
    let poll: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      const ctl = new DbReconnectControl(
        db,
        4,
        {
          reconnect: () => {
            const ok = outcomes[attempts++] ?? false;
            return ok ? Promise.resolve() : Promise.reject(new Error("connection refused"));
          },
          disableService: () => events.push("disable"),
          enableService: () => {
            events.push("enable");
            resolve();
          },
          exit: (code) => {
            exitCode = code;
            resolve();
          },
        },
        logs.getLogger("dhcpsrv"),
      );
      ctl.lost();
      ctl.lost(); // a second loss while retrying changes nothing
      // serve-retry-continue after exhausted retries neither exits nor enables: watch the log.
      let polls = 0;
      poll = setInterval(() => {
        if (lines.some((l) => l.includes("DHCP4_DB_RECONNECT_FAILED")) || ++polls > 2000) {
          resolve();
        }
      }, 5);
    }).finally(() => clearInterval(poll));
    return { done, lines, events, exit: () => exitCode, attempts: () => attempts };
  }

  it("recovers on the third attempt: service off while retrying, then on, Kea's messages", async () => {
    const h = harness({ "max-reconnect-tries": 5, "reconnect-wait-time": 5 }, [false, false, true]);
    await h.done;
    assert.equal(h.attempts(), 3);
    assert.deepEqual(h.events, ["disable", "enable"]);
    assert.equal(h.exit(), null);
    assert.ok(h.lines.some((l) => /WARN.*DHCP4_DB_RECONNECT_LOST_CONNECTION/.test(l)));
    assert.ok(
      h.lines.some((l) =>
        /DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_SCHEDULE scheduling attempt 3 of 5 in 5 milliseconds/.test(
          l,
        ),
      ),
    );
    assert.ok(h.lines.some((l) => /DHCP4_DB_RECONNECT_SUCCEEDED/.test(l)));
  });

  it("exits with an error when the retries are exhausted (stop-retry-exit, serve-retry-exit)", async () => {
    for (const onFail of ["stop-retry-exit", "serve-retry-exit"]) {
      const h = harness(
        { "max-reconnect-tries": 2, "reconnect-wait-time": 1, "on-fail": onFail },
        [],
      );
      await h.done;
      assert.equal(h.attempts(), 2);
      assert.equal(h.exit(), 1);
      assert.deepEqual(h.events, onFail === "stop-retry-exit" ? ["disable"] : []);
      assert.ok(h.lines.some((l) => /DHCPSRV_PGSQL_LEASE_DB_RECONNECT_FAILED .*: 2,/.test(l)));
      assert.ok(h.lines.some((l) => /ERROR.*DHCP4_DB_RECONNECT_FAILED/.test(l)));
    }
  });

  it("serve-retry-continue serves on after exhausted retries; no reconnect configured means exit", async () => {
    const cont = harness(
      { "max-reconnect-tries": 1, "reconnect-wait-time": 1, "on-fail": "serve-retry-continue" },
      [],
    );
    await cont.done;
    assert.equal(cont.exit(), null);
    assert.deepEqual(cont.events, []);
    const none = harness({}, []);
    await none.done;
    assert.equal(none.attempts(), 0);
    assert.equal(none.exit(), 1);
    assert.ok(none.lines.some((l) => /DHCP4_DB_RECONNECT_DISABLED/.test(l)));
  });
});
