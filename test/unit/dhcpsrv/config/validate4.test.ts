// Dhcp4 validation: the top level, types and ranges, Kea's defaults, unknown and unsupported
// keys, and the semantic rules, each refusal checked for its file position, key path and reason.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";

function load(dhcp4: string) {
  return parseConfigText(`{ "Dhcp4": ${dhcp4} }`, 4, "kea.conf");
}

/** The refusal of a Dhcp4 body, as `file:line:column: path: reason`. */
function refusal(dhcp4: string): ConfigFileError {
  try {
    load(dhcp4);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the configuration to be refused");
}

function reason(dhcp4: string): string {
  return refusal(dhcp4).reason;
}

const subnet = (extra = "") => `{ "subnet4": [ { "subnet": "192.0.2.0/24"${extra} } ] }`;

describe("top level", () => {
  test("must be a map holding Dhcp4", () => {
    assert.throws(
      () => parseConfigText("[1]", 4, "kea.conf"),
      /must be a map with one entry "Dhcp4"/,
    );
  });

  test("another top-level entry is refused by name", () => {
    assert.throws(
      () => parseConfigText('{ "Dhcp4": {}, "Dhcp6": {} }', 4, "kea.conf"),
      (err: ConfigFileError) =>
        err.path === "Dhcp6" && err.column === 16 && /holds only "Dhcp4"/.test(err.reason),
    );
  });

  test("a Dhcp6 file given to the DHCPv4 server is refused", () => {
    assert.throws(
      () => parseConfigText('{ "Dhcp6": {} }', 4, "kea.conf"),
      /unexpected top-level entry "Dhcp6"/,
    );
  });

  test("an empty Dhcp4 map is valid and gets Kea's defaults", () => {
    const { config, warnings } = load("{}");
    assert.deepEqual(warnings, []);
    assert.equal(config["valid-lifetime"], 7200);
    assert.equal(config["min-valid-lifetime"], 7200);
    assert.equal(config["max-valid-lifetime"], 7200);
    assert.equal(config["renew-timer"], undefined);
    assert.equal(config["calculate-tee-times"], false);
    assert.equal(config["t1-percent"], 0.5);
    assert.equal(config["t2-percent"], 0.875);
    assert.equal(config["match-client-id"], true);
    assert.equal(config.authoritative, false);
    assert.equal(config["echo-client-id"], true);
    assert.equal(config["next-server"], "0.0.0.0");
    assert.equal(config["server-hostname"], "");
    assert.equal(config["boot-file-name"], "");
    assert.equal(config["decline-probation-period"], 86400);
    assert.equal(config["parked-packet-limit"], 256);
    assert.deepEqual(config["host-reservation-identifiers"], [
      "hw-address",
      "duid",
      "circuit-id",
      "client-id",
    ]);
    assert.deepEqual(config["interfaces-config"], {
      interfaces: [],
      "dhcp-socket-type": "raw",
      "outbound-interface": "same-as-inbound",
      "re-detect": true,
      "service-sockets-require-all": false,
      "service-sockets-retry-wait-time": 5000,
      "service-sockets-max-retries": 0,
    });
    assert.deepEqual(config["lease-database"], {
      type: "memfile",
      persist: true,
      "lfc-interval": 3600,
      "max-row-errors": 0,
    });
    assert.deepEqual(config["expired-leases-processing"], {
      "reclaim-timer-wait-time": 10,
      "flush-reclaimed-timer-wait-time": 25,
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    });
    assert.deepEqual(config["multi-threading"], {
      "enable-multi-threading": false,
      "thread-pool-size": 0,
      "packet-queue-size": 64,
    });
    assert.deepEqual(config["sanity-checks"], { "lease-checks": "warn" });
    assert.deepEqual(config.subnet4, []);
    assert.deepEqual(config["hooks-libraries"], []);
    assert.deepEqual(config.loggers, []);
  });
});

describe("types, ranges and keys", () => {
  test("a string where an integer belongs", () => {
    const err = refusal('{ "valid-lifetime": "x" }');
    assert.equal(
      err.message,
      'kea.conf:1:32: Dhcp4.valid-lifetime: expected an integer, found the string "x"',
    );
  });

  test("an integer written as a float is refused, as in Kea's grammar", () => {
    assert.equal(
      reason('{ "valid-lifetime": 4000.0 }'),
      "expected an integer, found a floating point number (4000, written with a point or an exponent)",
    );
    assert.match(reason('{ "decline-probation-period": 1e3 }'), /floating point/);
  });

  test("Kea's number forms are read: leading zeros for integers, .5 for fractions", () => {
    const { config } = load('{ "valid-lifetime": 0100, "t1-percent": .25 }');
    assert.equal(config["valid-lifetime"], 100);
    assert.equal(config["t1-percent"], 0.25);
  });

  test("a negative lifetime is out of range", () => {
    assert.equal(
      reason('{ "valid-lifetime": -1 }'),
      "-1 is out of range, it must be between 0 and 4294967295",
    );
  });

  test("a lifetime above 32 bits is out of range", () => {
    assert.match(reason('{ "valid-lifetime": 4294967296 }'), /out of range/);
  });

  test("a percentage outside (0, 1)", () => {
    assert.equal(
      reason('{ "t1-percent": 1.5 }'),
      "the number 1.5 is invalid, it must be greater than 0 and less than 1",
    );
  });

  test("a value outside its enumeration", () => {
    const err = refusal('{ "interfaces-config": { "dhcp-socket-type": "tcp" } }');
    assert.equal(err.path, "Dhcp4.interfaces-config.dhcp-socket-type");
    assert.equal(err.reason, 'the string "tcp" is not allowed, expected one of "raw", "udp"');
  });

  test("an unknown key names the key and the map, at the key", () => {
    const err = refusal(
      '{ "subnet4": [ { "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.1 - 192.0.2.9", "foo": 1 } ] } ] }',
    );
    assert.equal(err.path, "Dhcp4.subnet4[0].pools[0].foo");
    assert.equal(err.reason, 'unknown keyword "foo" in pools map');
    assert.equal(err.column, 101);
  });

  test("a missing mandatory key", () => {
    const err = refusal('{ "subnet4": [ { "pools": [] } ] }');
    assert.equal(err.path, "Dhcp4.subnet4[0]");
    assert.equal(err.reason, '"subnet" is required in each subnet4 entry');
  });

  test("user-context and comment are accepted in maps", () => {
    const { config } = load(
      subnet(', "user-context": { "site": "lab", "n": [1, null] }, "comment": "lab net"'),
    );
    assert.deepEqual(config.subnet4[0]!["user-context"], { site: "lab", n: [1, null] });
    assert.equal(config.subnet4[0]!.comment, "lab net");
  });

  test("user-context must be a map", () => {
    assert.equal(reason('{ "user-context": "x" }'), 'expected a map, found the string "x"');
  });

  test("several errors: the first in the file is reported", () => {
    const err = refusal('{ "renew-timer": "a", "rebind-timer": "b" }');
    assert.equal(err.path, "Dhcp4.renew-timer");
  });
});

describe("unsupported and ignored keys", () => {
  test("an empty shared-networks list changes nothing and is accepted", () => {
    assert.doesNotThrow(() => load('{ "shared-networks": [] }'));
  });

  test("a subnet guarded by a class is accepted (Kea 2.2 client-class)", () => {
    const { config } = load(subnet(', "client-class": "foo"'));
    assert.equal(config.subnet4[0]!["client-class"], "foo");
  });

  test("a MySQL hosts database is refused at its type, naming what is supported", () => {
    const err = refusal('{ "hosts-database": { "type": "mysql", "name": "kea" } }');
    assert.equal(err.path, "Dhcp4.hosts-database.type");
    assert.match(
      err.reason,
      /hosts database type "mysql" is not supported by Nestor \(only "postgresql"\)/,
    );
  });

  test("a PostgreSQL hosts database is accepted with Kea's keys", () => {
    const { config } = load(`{ "hosts-database": { "type": "postgresql", "name": "kea",
      "host": "/run/postgresql", "port": 5433, "user": "kea", "password": "secret",
      "connect-timeout": 10, "max-reconnect-tries": 3, "reconnect-wait-time": 2000,
      "on-fail": "serve-retry-continue", "readonly": true } }`);
    assert.equal(config["hosts-database"]?.host, "/run/postgresql");
    assert.equal(config["hosts-database"]?.readonly, true);
  });

  test("hosts-databases: each is checked, its index in the key path", () => {
    const err = refusal(`{ "hosts-databases": [ { "type": "postgresql", "name": "a" },
      { "type": "postgresql" } ] }`);
    assert.equal(err.path, "Dhcp4.hosts-databases[1].name");
    assert.match(err.reason, /needs a "name"/);
  });

  test("a PostgreSQL hosts database refuses TLS keys and a bad on-fail", () => {
    const tls = refusal(`{ "hosts-database": { "type": "postgresql", "name": "kea",
      "trust-anchor": "ca.pem" } }`);
    assert.equal(tls.path, "Dhcp4.hosts-database.trust-anchor");
    assert.match(tls.reason, /TLS to a PostgreSQL database is not supported/);
    const onFail = refusal(`{ "hosts-database": { "type": "postgresql", "name": "kea",
      "on-fail": "give-up" } }`);
    assert.equal(onFail.path, "Dhcp4.hosts-database.on-fail");
  });

  test("dhcp-ddns with updates disabled is accepted, enabled is refused", () => {
    assert.doesNotThrow(() =>
      load('{ "dhcp-ddns": { "enable-updates": false, "server-ip": "127.0.0.1" } }'),
    );
    const err = refusal('{ "dhcp-ddns": { "enable-updates": true } }');
    assert.equal(err.path, "Dhcp4.dhcp-ddns.enable-updates");
  });

  test("a SQL lease database is refused", () => {
    const err = refusal('{ "lease-database": { "type": "mysql", "name": "kea" } }');
    assert.equal(err.path, "Dhcp4.lease-database.type");
    assert.equal(
      err.reason,
      'lease database type "mysql" is not supported by Nestor (only "memfile" and "postgresql")',
    );
  });

  test("a PostgreSQL lease database with Kea's keys is accepted; a bad key is refused where it is", () => {
    const { config } = load(
      '{ "lease-database": { "type": "postgresql", "name": "kea", "host": "/run/postgresql", "port": 5432, "user": "kea", "password": "x", "connect-timeout": 10, "max-reconnect-tries": 5, "reconnect-wait-time": 1000, "on-fail": "serve-retry-continue" } }',
    );
    assert.equal(config["lease-database"].type, "postgresql");
    assert.equal(config["lease-database"]["on-fail"], "serve-retry-continue");
    const bad = refusal(
      '{ "lease-database": { "type": "postgresql", "name": "kea", "on-fail": "never" } }',
    );
    assert.equal(bad.path, "Dhcp4.lease-database.on-fail");
    assert.match(bad.reason, /on-fail 'never' is invalid: expected one of 'stop-retry-exit'/);
    const noName = refusal('{ "lease-database": { "type": "postgresql" } }');
    assert.equal(noName.path, "Dhcp4.lease-database");
    assert.match(noName.reason, /name is mandatory/);
  });

  test("DNS update keys are accepted with a warning when not at Kea's default", () => {
    const { warnings } = load(
      '{ "ddns-send-updates": true, "ddns-override-no-update": true, "ddns-qualifying-suffix": "example.org" }',
    );
    assert.deepEqual(
      warnings.map((w) => w.text),
      [
        'kea.conf:1:68: Dhcp4.ddns-override-no-update: "ddns-override-no-update" is accepted but ignored: Nestor does not do DNS updates yet',
      ],
    );
  });

  test("client name keys are read: no warning, and a character set must be a regex", () => {
    const { warnings } = load(
      '{ "ddns-qualifying-suffix": "example.org", "ddns-replace-client-name": "always", "ddns-generated-prefix": "h", "hostname-char-set": "[^a-z]", "hostname-char-replacement": "x" }',
    );
    assert.deepEqual(warnings, []);
    assert.match(
      reason(subnet(', "hostname-char-set": "[a-"')),
      /^hostname-char-set "\[a-" is not a valid regular expression/,
    );
  });
});

describe("keys of later Kea versions", () => {
  test("allocator is iterative, random or flq, globally and per subnet; another name is refused", () => {
    for (const kind of ["iterative", "random", "flq"]) {
      assert.doesNotThrow(() => load(`{ "allocator": "${kind}" }`));
      assert.doesNotThrow(() => load(subnet(`, "allocator": "${kind}"`)));
    }
    assert.equal(
      reason(subnet(', "allocator": "shared-flq"')),
      'the string "shared-flq" is not allowed, expected one of "iterative", "random", "flq"',
    );
  });

  test("cache-threshold must be strictly between 0 and 1, cache-max-age a number of seconds", () => {
    assert.doesNotThrow(() => load('{ "cache-threshold": 0.25, "cache-max-age": 600 }'));
    assert.doesNotThrow(() => load(subnet(', "cache-threshold": 0.5, "cache-max-age": 0')));
    // Kea 2.2: "cache-threshold: 1 is invalid, it must be greater than 0.0 and less than 1.0".
    assert.equal(
      reason(subnet(', "cache-threshold": 1.0')),
      "1 is invalid, it must be greater than 0 and less than 1",
    );
    assert.match(reason('{ "cache-threshold": 0 }'), /must be greater than 0 and less than 1/);
    assert.match(reason('{ "cache-max-age": -1 }'), /out of range/);
  });

  test("offer-lifetime is accepted globally, per subnet and in a class (Kea 2.6)", () => {
    assert.equal(load('{ "offer-lifetime": 60 }').config["offer-lifetime"], 60);
    const classes = load('{ "client-classes": [ { "name": "a", "offer-lifetime": 60 } ] }').config[
      "client-classes"
    ];
    assert.equal(classes[0]!["offer-lifetime"], 60);
    assert.match(
      reason('{ "client-classes": [ { "name": "a", "offer-lifetime": -1 } ] }'),
      /-1 is out of range, it must be between 0 and 4294967295/,
    );
  });

  test("the later client-classes lists are accepted, and option data's never-send and classes", () => {
    assert.doesNotThrow(() =>
      load(
        subnet(
          ', "client-classes": [], "pools": [ { "pool": "192.0.2.0/28", "pool-id": 7, "evaluate-additional-classes": [] } ]',
        ),
      ),
    );
    const { config } = load(subnet(', "client-classes": [ "lab" ]'));
    assert.deepEqual(config.subnet4[0]!["client-classes"], ["lab"]);
    const opts = load(
      '{ "option-data": [ { "name": "routers", "data": "192.0.2.1", "never-send": true, "client-classes": [ "lab" ] } ] }',
    ).config["option-data"];
    assert.equal(opts[0]!["never-send"], true);
    assert.deepEqual(opts[0]!["client-classes"], ["lab"]);
    const bad = refusal('{ "option-data": [ { "name": "routers", "never-send": "yes" } ] }');
    assert.equal(bad.path, "Dhcp4.option-data[0].never-send");
    assert.match(bad.reason, /expected a boolean/);
  });

  test("later DDNS keys are accepted and ignored", () => {
    const { warnings } = load(
      '{ "ddns-ttl-percent": 0.5, "ddns-conflict-resolution-mode": "check-with-dhcid" }',
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.text, /ddns-ttl-percent/);
  });
});

describe("lifetimes and timers", () => {
  test("min-valid-lifetime above valid-lifetime", () => {
    const err = refusal('{ "valid-lifetime": 10, "min-valid-lifetime": 20 }');
    assert.equal(err.path, "Dhcp4.min-valid-lifetime");
    assert.equal(
      err.reason,
      "the value of min-valid-lifetime (20) is not less than (default) valid-lifetime (10)",
    );
  });

  test("valid-lifetime above max-valid-lifetime in a subnet", () => {
    const err = refusal(subnet(', "valid-lifetime": 10, "max-valid-lifetime": 5'));
    assert.equal(err.path, "Dhcp4.subnet4[0].max-valid-lifetime");
    assert.equal(
      err.reason,
      "the value of (default) valid-lifetime (10) is not less than max-valid-lifetime (5)",
    );
  });

  test("min and max without a default in a subnet", () => {
    assert.equal(
      reason(subnet(', "min-valid-lifetime": 10, "max-valid-lifetime": 50')),
      "have min-valid-lifetime and max-valid-lifetime but no default valid-lifetime",
    );
  });

  test("min and max default to valid-lifetime at the global level", () => {
    const { config } = load('{ "valid-lifetime": 4000, "max-valid-lifetime": 5000 }');
    assert.equal(config["min-valid-lifetime"], 4000);
    assert.equal(config["max-valid-lifetime"], 5000);
  });

  test("renew-timer above rebind-timer, with the rebind timer inherited", () => {
    const err = refusal(`{ "rebind-timer": 40, ${subnet(', "renew-timer": 50').slice(1)}`);
    assert.equal(err.path, "Dhcp4.subnet4[0].renew-timer");
    assert.equal(
      err.reason,
      "the value of renew-timer (50) is greater than the value of rebind-timer (40)",
    );
  });

  test("rebind-timer above valid-lifetime is refused (Kea 2.2 accepts it)", () => {
    const err = refusal('{ "valid-lifetime": 100, "renew-timer": 50, "rebind-timer": 400 }');
    assert.equal(err.path, "Dhcp4.rebind-timer");
    assert.equal(
      err.reason,
      "the value of rebind-timer (400) is greater than the value of valid-lifetime (100)",
    );
    assert.match(err.message, /^kea\.conf:1:\d+: Dhcp4\.rebind-timer: /);
  });

  test("rebind-timer above a subnet's valid-lifetime is refused at the subnet", () => {
    const err = refusal(`{ "rebind-timer": 400, ${subnet(', "valid-lifetime": 300').slice(1)}`);
    assert.equal(err.path, "Dhcp4.subnet4[0].valid-lifetime");
  });

  test("rebind-timer equal to valid-lifetime is a warning, as Kea accepts it", () => {
    const { warnings } = load('{ "valid-lifetime": 100, "renew-timer": 50, "rebind-timer": 100 }');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.reason,
      /rebind-timer \(100\) is not less than valid-lifetime \(100\)/,
    );
  });

  test("hex option data with an odd number of digits is refused (Kea pads it)", () => {
    const err = refusal(
      '{ "option-data": [ { "code": 222, "space": "dhcp4", "csv-format": false, "data": "abc" } ] }',
    );
    assert.equal(err.path, "Dhcp4.option-data[0].data");
    assert.match(err.reason, /odd number of digits \(3\)/);
    for (const data of ["0abc", "0x0abc", "a:bc", "0a bc"]) {
      assert.doesNotThrow(() =>
        load(`{ "option-data": [ { "code": 222, "csv-format": false, "data": "${data}" } ] }`),
      );
    }
  });

  test("t1-percent must be below t2-percent when T1/T2 are calculated", () => {
    const err = refusal(
      subnet(', "calculate-tee-times": true, "t1-percent": 0.9, "t2-percent": 0.8'),
    );
    assert.equal(err.reason, "t1-percent: 0.9 is invalid, it must be less than t2-percent: 0.8");
  });
});

describe("subnets and pools", () => {
  test("a subnet prefix must be address/length", () => {
    const err = refusal(subnet().replace("192.0.2.0/24", "192.0.2.0"));
    assert.equal(err.path, "Dhcp4.subnet4[0].subnet");
    assert.equal(err.reason, "invalid subnet: expected an IPv4 prefix like 192.0.2.0/24");
  });

  test("a prefix length above 32", () => {
    assert.equal(
      reason(subnet().replace("/24", "/33")),
      'invalid subnet: invalid prefix length "33" (0 to 32)',
    );
  });

  test("an IPv6 prefix in subnet4", () => {
    assert.match(
      reason(subnet().replace("192.0.2.0/24", "2001:db8::/64")),
      /is not an IPv4 address/,
    );
  });

  test("a pool outside its subnet", () => {
    const err = refusal(subnet(', "pools": [ { "pool": "198.51.100.1 - 198.51.100.9" } ]'));
    assert.equal(err.path, "Dhcp4.subnet4[0].pools[0].pool");
    assert.equal(
      err.reason,
      "pool 198.51.100.1 - 198.51.100.9 is not inside its subnet 192.0.2.0/24",
    );
  });

  test("a pool whose start is after its end", () => {
    assert.equal(
      reason(subnet(', "pools": [ { "pool": "192.0.2.9-192.0.2.5" } ]')),
      'invalid pool "192.0.2.9-192.0.2.5": the first address 192.0.2.9 is after the last address 192.0.2.5',
    );
  });

  test("overlapping pools", () => {
    const err = refusal(
      subnet(', "pools": [ { "pool": "192.0.2.0/26" }, { "pool": "192.0.2.60 - 192.0.2.70" } ]'),
    );
    assert.equal(err.path, "Dhcp4.subnet4[0].pools[1].pool");
    assert.match(err.reason, /overlaps pools\[0\]/);
  });

  test("pools as ranges and as prefixes are accepted", () => {
    const { config } = load(
      subnet(', "pools": [ { "pool": "192.0.2.0/26" }, { "pool": "192.0.2.100-192.0.2.110" } ]'),
    );
    assert.deepEqual(
      config.subnet4[0]!.pools.map((p) => p.pool),
      ["192.0.2.0/26", "192.0.2.100-192.0.2.110"],
    );
    assert.deepEqual(config.subnet4[0]!.pools[0]!["option-data"], []);
  });

  test("duplicate subnet ids", () => {
    const err = refusal(
      '{ "subnet4": [ { "id": 7, "subnet": "192.0.2.0/24" }, { "id": 7, "subnet": "198.51.100.0/24" } ] }',
    );
    assert.equal(err.path, "Dhcp4.subnet4[1].id");
    assert.equal(err.reason, "ID of the new IPv4 subnet '7' is already in use by subnet4[0]");
  });

  test("subnets without id are numbered 1, 2, ... as Kea 2.2 does", () => {
    const { config } = load(
      '{ "subnet4": [ { "subnet": "192.0.2.0/24" }, { "id": 10, "subnet": "198.51.100.0/24" }, { "subnet": "203.0.113.0/24" } ] }',
    );
    assert.deepEqual(
      config.subnet4.map((s) => s.id),
      [1, 10, 2],
    );
  });

  test("an automatic id colliding with a written one is refused with advice", () => {
    assert.match(
      reason(
        '{ "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" }, { "subnet": "198.51.100.0/24" } ] }',
      ),
      /numbered automatically: give it one/,
    );
  });

  test("the same prefix twice", () => {
    assert.match(
      reason('{ "subnet4": [ { "subnet": "192.0.2.0/24" }, { "subnet": "192.0.2.0/24" } ] }'),
      /subnet with the prefix of '192.0.2.0\/24' already exists/,
    );
  });

  test("relay addresses must be IPv4; the 2.2 single form is folded into the list", () => {
    assert.match(
      reason(subnet(', "relay": { "ip-addresses": [ "10.0.0.1", "x" ] }')),
      /"x" is not an IPv4/,
    );
    const { config } = load(subnet(', "relay": { "ip-address": "10.0.0.1" }'));
    assert.deepEqual(config.subnet4[0]!.relay, { "ip-addresses": ["10.0.0.1"] });
  });

  test("next-server must be an IPv4 address", () => {
    assert.equal(reason(subnet(', "next-server": "tftp"')), '"tftp" is not an IPv4 address');
  });
});

describe("the source of a loaded configuration", () => {
  test("gives the servers refusals at a value's position", () => {
    const { source } = parseConfigText(
      '{ "Dhcp4": {\n  "option-data": [ { "name": "routers", "data": "not-an-address" } ] } }',
      4,
      "kea.conf",
    );
    const err = source.error("cannot convert the data", ["Dhcp4", "option-data", 0, "data"]);
    assert.ok(err instanceof ConfigFileError);
    assert.equal(err.message, "kea.conf:2:49: Dhcp4.option-data[0].data: cannot convert the data");
  });

  test("a default value is placed at its nearest written ancestor", () => {
    const { source } = parseConfigText(
      '{ "Dhcp4": {\n "subnet4": [ { "subnet": "192.0.2.0/24" } ] } }',
      4,
      "k",
    );
    assert.equal(source.written(["Dhcp4", "subnet4", 0, "pools"]), false);
    assert.deepEqual(source.position(["Dhcp4", "subnet4", 0, "pools"]), {
      file: "k",
      line: 2,
      column: 15,
    });
  });
});

describe("reservations", () => {
  const host = (fields: string) => subnet(`, "reservations": [ { ${fields} } ]`);

  test("a reservation needs an identifier", () => {
    const err = refusal(host('"ip-address": "192.0.2.5"'));
    assert.equal(err.path, "Dhcp4.subnet4[0].reservations[0]");
    assert.equal(
      err.reason,
      "one of the supported identifiers must be specified for host reservation: hw-address, duid, circuit-id, client-id, flex-id",
    );
  });

  test("a reservation has only one identifier", () => {
    const err = refusal(host('"hw-address": "aa:bb:cc:dd:ee:ff", "client-id": "01:02"'));
    assert.equal(err.path, "Dhcp4.subnet4[0].reservations[0].client-id");
    assert.equal(err.reason, "the 'hw-address' and 'client-id' are mutually exclusive");
  });

  test("a malformed hardware address", () => {
    assert.equal(reason(host('"hw-address": "zz"')), "invalid host identifier value 'zz'");
  });

  test("a quoted-string circuit-id is accepted", () => {
    const { config } = load(host(`"circuit-id": "'port-7'", "ip-address": "192.0.2.7"`));
    assert.equal(config.subnet4[0]!.reservations[0]!["circuit-id"], "'port-7'");
    assert.equal(config.subnet4[0]!.reservations[0]!.hostname, "");
  });

  test("a reserved address outside the subnet", () => {
    assert.equal(
      reason(host('"hw-address": "01:02:03:04:05:06", "ip-address": "10.0.0.1"')),
      "specified reservation '10.0.0.1' is not within the IPv4 subnet '192.0.2.0/24'",
    );
  });

  test("the same address reserved twice", () => {
    const err = refusal(
      subnet(
        ', "reservations": [ { "hw-address": "01:02:03:04:05:06", "ip-address": "192.0.2.5" }, { "hw-address": "01:02:03:04:05:07", "ip-address": "192.0.2.5" } ]',
      ),
    );
    assert.equal(err.path, "Dhcp4.subnet4[0].reservations[1].ip-address");
  });

  test("the same identifier reserved twice", () => {
    assert.match(
      reason(
        subnet(
          ', "reservations": [ { "hw-address": "01:02:03:04:05:06", "hostname": "a" }, { "hw-address": "01:02:03:04:05:06", "hostname": "b" } ]',
        ),
      ),
      /the hw-address '01:02:03:04:05:06' is already reserved by reservations\[0\]/,
    );
  });

  test("a reservation by flex-id (text or hex) is read, and flex-id may be a host identifier", () => {
    const { config } = load(
      `{ "host-reservation-identifiers": [ "hw-address", "flex-id" ], "subnet4": [ { "id": 1, "subnet": "10.0.0.0/24", "reservations": [ { "flex-id": "'port-7'", "ip-address": "10.0.0.7" }, { "flex-id": "01:02:03", "ip-address": "10.0.0.8" } ] } ] }`,
    );
    assert.deepEqual(config["host-reservation-identifiers"], ["hw-address", "flex-id"]);
    assert.equal(config.subnet4[0]!.reservations[0]!["flex-id"], "'port-7'");
    assert.equal(config.subnet4[0]!.reservations[1]!["flex-id"], "01:02:03");
  });

  test("an address reserved twice in a subnet is refused unless ip-reservations-unique is false", () => {
    const twice = (unique: string) =>
      `{ ${unique} "subnet4": [ { "id": 1, "subnet": "10.0.0.0/24", "reservations": [ { "hw-address": "01:02:03:04:05:06", "ip-address": "10.0.0.9" }, { "hw-address": "01:02:03:04:05:07", "ip-address": "10.0.0.9" } ] } ] }`;
    assert.match(reason(twice("")), /there is already a reservation for 10\.0\.0\.9/);
    const { config } = load(twice(`"ip-reservations-unique": false,`));
    assert.equal(config["ip-reservations-unique"], false);
    assert.equal(config.subnet4[0]!.reservations.length, 2);
  });

  test("the reservation flags and lookup keys are read at global and subnet level", () => {
    const { config } = load(
      `{ "early-global-reservations-lookup": true, "reservations-lookup-first": true, "reservations-global": true, "subnet4": [ { "id": 1, "subnet": "10.0.0.0/24", "reservations-in-subnet": false, "reservations-out-of-pool": true } ] }`,
    );
    assert.equal(config["early-global-reservations-lookup"], true);
    assert.equal(config["reservations-lookup-first"], true);
    assert.equal(config["reservations-global"], true);
    assert.equal(config.subnet4[0]!["reservations-in-subnet"], false);
    assert.equal(config.subnet4[0]!["reservations-out-of-pool"], true);
  });

  test("global reservations are checked without a subnet", () => {
    const { config } = load(
      '{ "reservations": [ { "client-id": "01:aa:bb", "ip-address": "10.9.9.9", "option-data": [ { "name": "routers", "data": "10.9.9.1" } ] } ] }',
    );
    assert.deepEqual(config.reservations[0]!["option-data"][0], {
      name: "routers",
      data: "10.9.9.1",
      space: "dhcp4",
      "csv-format": true,
      "always-send": false,
    });
  });
});

describe("options, interfaces, loggers, sockets", () => {
  test("option-data needs a name or a code", () => {
    const err = refusal('{ "option-data": [ { "data": "1" } ] }');
    assert.equal(err.path, "Dhcp4.option-data[0]");
    assert.match(err.reason, /requires one of 'code' or 'name'/);
  });

  test("an option code out of the dhcp4 space", () => {
    assert.match(
      reason('{ "option-data": [ { "code": 255, "data": "1" } ] }'),
      /out of range for space "dhcp4"/,
    );
  });

  test("option-def gets its defaults and refuses duplicates", () => {
    const { config } = load(
      '{ "option-def": [ { "name": "foo", "code": 222, "type": "uint8" } ] }',
    );
    assert.deepEqual(config["option-def"][0], {
      name: "foo",
      code: 222,
      type: "uint8",
      "record-types": "",
      space: "dhcp4",
      encapsulate: "",
      array: false,
    });
    assert.match(
      reason(
        '{ "option-def": [ { "name": "foo", "code": 222, "type": "uint8" }, { "name": "bar", "code": 222, "type": "uint8" } ] }',
      ),
      /already defined/,
    );
  });

  test("interface names: name, name/address and * are accepted", () => {
    const { config } = load(
      '{ "interfaces-config": { "interfaces": [ "eth0", "eth1/192.0.2.1", "*" ] } }',
    );
    assert.deepEqual(config["interfaces-config"].interfaces, ["eth0", "eth1/192.0.2.1", "*"]);
  });

  test("an interface name with a space", () => {
    const err = refusal('{ "interfaces-config": { "interfaces": [ "eth 0" ] } }');
    assert.equal(err.path, "Dhcp4.interfaces-config.interfaces[0]");
    assert.equal(err.reason, '"eth 0" is not a valid interface name');
  });

  test("an interface address that is not IPv4", () => {
    assert.match(
      reason('{ "interfaces-config": { "interfaces": [ "eth0/fe80::1" ] } }'),
      /not an IPv4 address/,
    );
  });

  test("a subnet interface name longer than 15 characters", () => {
    assert.match(reason(subnet(', "interface": "averyveryverylongname"')), /longer than 15/);
  });

  test("loggers: Kea 2.2's output_options becomes output-options with defaults, severity upper-cased", () => {
    const { config } = load(
      '{ "loggers": [ { "name": "kea-dhcp4", "severity": "debug", "debuglevel": 50, "output_options": [ { "output": "stdout" } ] } ] }',
    );
    assert.deepEqual(config.loggers[0], {
      name: "kea-dhcp4",
      severity: "DEBUG",
      debuglevel: 50,
      "output-options": [
        { output: "stdout", flush: true, maxsize: 10240000, maxver: 1, pattern: "" },
      ],
    });
  });

  test("loggers: every Kea output option is kept, and Nestor's format", () => {
    const { config } = load(
      '{ "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "syslog:local3", "flush": false, "maxsize": 204800, "maxver": 8, "pattern": "%d{%j %H:%M:%S.%q} %c %m\\n" }, { "output": "x.log", "format": "json" } ] } ] }',
    );
    assert.deepEqual(config.loggers[0]!["output-options"], [
      {
        output: "syslog:local3",
        flush: false,
        maxsize: 204800,
        maxver: 8,
        pattern: "%d{%j %H:%M:%S.%q} %c %m\n",
      },
      { output: "x.log", flush: true, maxsize: 10240000, maxver: 1, pattern: "", format: "json" },
    ]);
  });

  test("positions follow output_options into output-options", () => {
    const { source } = parseConfigText(
      '{ "Dhcp4": {\n "loggers": [ { "name": "kea-dhcp4",\n "output_options": [ { "output": "stdout" } ] } ] } }',
      4,
      "kea.conf",
    );
    assert.deepEqual(source.position(["Dhcp4", "loggers", 0, "output-options", 0, "output"]), {
      file: "kea.conf",
      line: 3,
      column: 34,
    });
  });

  test("a debuglevel above 99", () => {
    assert.match(
      reason('{ "loggers": [ { "name": "kea-dhcp4", "debuglevel": 100 } ] }'),
      /between 0 and 99/,
    );
  });

  test("an unknown severity", () => {
    assert.match(
      reason('{ "loggers": [ { "name": "kea-dhcp4", "severity": "LOUD" } ] }'),
      /unknown severity "LOUD"/,
    );
  });

  test("a unix control socket needs a socket-name", () => {
    assert.match(reason('{ "control-socket": { "socket-type": "unix" } }'), /socket-name/);
  });

  test("control-socket and control-sockets are both accepted, not together", () => {
    assert.doesNotThrow(() =>
      load('{ "control-socket": { "socket-type": "unix", "socket-name": "/tmp/k4" } }'),
    );
    assert.doesNotThrow(() =>
      load(
        '{ "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8004 } ] }',
      ),
    );
    assert.match(
      reason(
        '{ "control-socket": { "socket-type": "unix", "socket-name": "/a" }, "control-sockets": [] }',
      ),
      /either "control-socket" or "control-sockets"/,
    );
  });

  test("hooks-libraries need a library path; parameters are free", () => {
    const { config } = load(
      '{ "hooks-libraries": [ { "library": "/x/lib.ts", "parameters": { "a": [1] } } ] }',
    );
    assert.deepEqual(config["hooks-libraries"], [{ library: "/x/lib.ts", parameters: { a: [1] } }]);
    assert.match(
      reason('{ "hooks-libraries": [ { "parameters": {} } ] }'),
      /"library" is required/,
    );
  });
});

describe("every other rule, with its path and reason", () => {
  const s = (extra: string) => subnet(extra);
  const cases: [string, string, string, RegExp][] = [
    [
      "outbound use-routing needs udp sockets",
      '{ "interfaces-config": { "outbound-interface": "use-routing" } }',
      "Dhcp4.interfaces-config.outbound-interface",
      /"use-routing" requires "dhcp-socket-type": "udp"/,
    ],
    [
      "an unknown lease database type",
      '{ "lease-database": { "type": "csv" } }',
      "Dhcp4.lease-database.type",
      /unknown lease database type "csv"/,
    ],
    [
      "a lease database without type",
      '{ "lease-database": { "persist": false } }',
      "Dhcp4.lease-database",
      /"type" is required in lease-database/,
    ],
    [
      "a record option without record-types",
      '{ "option-def": [ { "name": "r", "code": 200, "type": "record" } ] }',
      "Dhcp4.option-def[0].record-types",
      /needs "record-types"/,
    ],
    [
      "an option definition with an unknown type",
      '{ "option-def": [ { "name": "r", "code": 200, "type": "uint64" } ] }',
      "Dhcp4.option-def[0].type",
      /expected one of "binary"/,
    ],
    [
      "an option name with a space",
      '{ "option-data": [ { "name": "my option", "data": "1" } ] }',
      "Dhcp4.option-data[0].name",
      /invalid option name "my option"/,
    ],
    [
      "hex data that is not hex",
      '{ "option-data": [ { "code": 200, "csv-format": false, "data": "xyz" } ] }',
      "Dhcp4.option-data[0].data",
      /must be hexadecimal/,
    ],
    [
      "a server-hostname longer than the sname field",
      `{ "server-hostname": "${"a".repeat(64)}" }`,
      "Dhcp4.server-hostname",
      /at most 63 bytes/,
    ],
    [
      "a boot-file-name longer than the file field",
      `{ "boot-file-name": "${"a".repeat(128)}" }`,
      "Dhcp4.boot-file-name",
      /at most 127 bytes/,
    ],
    [
      "an empty hook library path",
      '{ "hooks-libraries": [ { "library": " " } ] }',
      "Dhcp4.hooks-libraries[0].library",
      /must not be empty/,
    ],
    [
      "an empty logger output",
      '{ "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "" } ] } ] }',
      "Dhcp4.loggers[0].output-options[0].output",
      /must not be empty/,
    ],
    [
      "a logger pattern with a directive log4cplus has and Nestor has not (%l, the source line)",
      '{ "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "stdout", "pattern": "%p %l %m" } ] } ] }',
      "Dhcp4.loggers[0].output-options[0].pattern",
      /pattern "%p %l %m": unsupported directive %l/,
    ],
    [
      "a logger pattern with an unknown date directive",
      '{ "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "stdout", "pattern": "%D{%Y %k} %m" } ] } ] }',
      "Dhcp4.loggers[0].output-options[0].pattern",
      /unsupported date directive %k in "%Y %k"/,
    ],
    [
      "an unknown logger output format",
      '{ "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "stdout", "format": "xml" } ] } ] }',
      "Dhcp4.loggers[0].output-options[0].format",
      /json/,
    ],
    [
      "both logger output spellings",
      '{ "loggers": [ { "name": "kea-dhcp4", "output-options": [], "output_options": [] } ] }',
      "Dhcp4.loggers[0].output_options",
      /either "output_options" \(Kea 2.2\) or "output-options"/,
    ],
    [
      "an http control socket on a host name",
      '{ "control-socket": { "socket-type": "http", "socket-address": "localhost" } }',
      "Dhcp4.control-socket.socket-address",
      /"localhost" is not an IP address/,
    ],
    [
      "an unknown control socket type",
      '{ "control-socket": { "socket-type": "tcp" } }',
      "Dhcp4.control-socket.socket-type",
      /expected one of "unix", "http", "https"/,
    ],
    [
      "relay ip-address and ip-addresses together",
      s(', "relay": { "ip-address": "10.0.0.1", "ip-addresses": [ "10.0.0.2" ] }'),
      "Dhcp4.subnet4[0].relay.ip-address",
      /either "ip-address" or "ip-addresses"/,
    ],
    [
      "a duplicate host reservation identifier",
      '{ "host-reservation-identifiers": [ "hw-address", "hw-address" ] }',
      "Dhcp4.host-reservation-identifiers[1]",
      /duplicate host reservation identifier "hw-address"/,
    ],
    [
      "an unknown identifier type",
      '{ "host-reservation-identifiers": [ "mac" ] }',
      "Dhcp4.host-reservation-identifiers[0]",
      /expected one of "hw-address"/,
    ],
    [
      "a reservation that reserves nothing",
      s(', "reservations": [ { "hw-address": "01:02:03:04:05:06", "hostname": "" } ]'),
      "Dhcp4.subnet4[0].reservations[0]",
      /must include at least one resource, i.e. hostname, IPv4 address, options or boot fields/,
    ],
    [
      "the wildcard interface twice",
      '{ "interfaces-config": { "interfaces": [ "*", "eth0", "*" ] } }',
      "Dhcp4.interfaces-config.interfaces[2]",
      /the wildcard interface '\*' can only be specified once/,
    ],
    [
      "an empty host-reservation-identifiers list",
      '{ "host-reservation-identifiers": [] }',
      "Dhcp4.host-reservation-identifiers",
      /the host-reservation-identifiers list must not be empty/,
    ],
    [
      "an option definition that redefines a standard option",
      '{ "option-def": [ { "name": "my-routers", "code": 3, "type": "ipv4-address" } ] }',
      "Dhcp4.option-def[0].code",
      /unable to override definition of option '3' in standard option space 'dhcp4'/,
    ],
    [
      "an option definition named like a standard option",
      '{ "option-def": [ { "name": "routers", "code": 224, "type": "ipv4-address" } ] }',
      "Dhcp4.option-def[0].name",
      /option name 'routers' is a standard option of space 'dhcp4'/,
    ],
    [
      "reservation-mode",
      '{ "reservation-mode": "all" }',
      "Dhcp4.reservation-mode",
      /use reservations-global, reservations-in-subnet and reservations-out-of-pool/,
    ],
    [
      "a subnet id of 4294967295",
      s(', "id": 4294967295'),
      "Dhcp4.subnet4[0].id",
      /between 0 and 4294967294/,
    ],
    [
      "a hardware address longer than 20 bytes",
      s(`, "reservations": [ { "hw-address": "${Array(21).fill("aa").join(":")}" } ]`),
      "Dhcp4.subnet4[0].reservations[0].hw-address",
      /invalid host identifier value/,
    ],
    [
      "a reserved address that is not IPv4",
      '{ "reservations": [ { "hw-address": "01:02:03:04:05:06", "ip-address": "2001:db8::1" } ] }',
      "Dhcp4.reservations[0].ip-address",
      /"2001:db8::1" is not an IPv4 address/,
    ],
  ];
  for (const [name, body, path, expected] of cases) {
    test(name, () => {
      const err = refusal(body);
      assert.equal(err.path, path);
      assert.match(err.reason, expected);
      assert.equal(err.file, "kea.conf");
      assert.equal(err.line, 1);
    });
  }

  test("an empty lease file name means the default file, as in Kea", () => {
    const { config } = load('{ "lease-database": { "type": "memfile", "name": "" } }');
    assert.equal(config["lease-database"].name, undefined);
  });

  test('next-server "" means no next server, as in Kea', () => {
    assert.equal(load('{ "next-server": "" }').config["next-server"], "");
  });

  test("a reservation with only boot fields is a reservation", () => {
    assert.doesNotThrow(() =>
      load(
        '{ "reservations": [ { "hw-address": "01:02:03:04:05:06", "boot-file-name": "pxe" } ] }',
      ),
    );
  });

  test("a subnet address with host bits is refused (Kea 2.2 accepts it)", () => {
    const err = refusal('{ "subnet4": [ { "subnet": "198.51.100.7/24" } ] }');
    assert.equal(err.path, "Dhcp4.subnet4[0].subnet");
    assert.match(
      err.message,
      /^kea\.conf:1:\d+: Dhcp4\.subnet4\[0\]\.subnet: the subnet address has bits set beyond its \/24 prefix \(did you mean 198\.51\.100\.0\/24\?\)/,
    );
  });

  test("a renew-timer not below valid-lifetime is a warning", () => {
    const { warnings } = load('{ "valid-lifetime": 100, "renew-timer": 100 }');
    assert.match(
      warnings[0]!.reason,
      /renew-timer \(100\) is not less than valid-lifetime \(100\); clients will not be sent T1/,
    );
  });
});
