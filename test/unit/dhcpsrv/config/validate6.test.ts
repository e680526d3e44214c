// Dhcp6 validation: defaults, the preferred-lifetime family, server-id, subnet6 with pools,
// pd-pools and reservations of addresses and prefixes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";

function load(dhcp6: string) {
  return parseConfigText(`{ "Dhcp6": ${dhcp6} }`, 6, "kea6.conf");
}

function refusal(dhcp6: string): ConfigFileError {
  try {
    load(dhcp6);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the configuration to be refused");
}

const subnet = (extra = "") => `{ "subnet6": [ { "subnet": "2001:db8:1::/48"${extra} } ] }`;

describe("Dhcp6 defaults", () => {
  test("an empty Dhcp6 map gets Kea's defaults", () => {
    const { config, warnings } = load("{}");
    assert.deepEqual(warnings, []);
    assert.equal(config["preferred-lifetime"], 3600);
    assert.equal(config["min-preferred-lifetime"], 3600);
    assert.equal(config["max-preferred-lifetime"], 3600);
    assert.equal(config["valid-lifetime"], 7200);
    assert.equal(config["calculate-tee-times"], true);
    assert.equal(config["t1-percent"], 0.5);
    assert.equal(config["t2-percent"], 0.8);
    assert.equal(config["rapid-commit"], undefined, "no global rapid-commit in Kea 2.2");
    assert.deepEqual(config["server-id"], {
      type: "LLT",
      identifier: "",
      time: 0,
      htype: 0,
      "enterprise-id": 0,
      persist: true,
    });
    assert.deepEqual(config["host-reservation-identifiers"], ["hw-address", "duid"]);
    assert.deepEqual(config["mac-sources"], ["any"]);
    assert.deepEqual(config["relay-supplied-options"], ["65"]);
    assert.deepEqual(config["interfaces-config"], {
      interfaces: [],
      "re-detect": true,
      "service-sockets-require-all": false,
      "service-sockets-retry-wait-time": 5000,
      "service-sockets-max-retries": 0,
    });
    assert.equal(config["data-directory"], undefined);
  });

  test("v4-only keys are unknown in Dhcp6", () => {
    assert.equal(
      refusal('{ "match-client-id": true }').reason,
      'unknown keyword "match-client-id" in Dhcp6 map',
    );
    assert.equal(
      refusal('{ "interfaces-config": { "dhcp-socket-type": "raw" } }').reason,
      'unknown keyword "dhcp-socket-type" in interfaces-config map',
    );
  });

  test("a subnet gets its lists and keeps inherited values absent", () => {
    const { config } = load(subnet());
    const s = config.subnet6[0]!;
    assert.equal(s.id, 1);
    assert.deepEqual(s.pools, []);
    assert.deepEqual(s["pd-pools"], []);
    assert.deepEqual(s.reservations, []);
    assert.equal(s["preferred-lifetime"], undefined);
    assert.equal(s["rapid-commit"], undefined);
  });
});

describe("Dhcp6 lifetimes", () => {
  test("min-preferred-lifetime above preferred-lifetime", () => {
    const err = refusal('{ "preferred-lifetime": 100, "min-preferred-lifetime": 200 }');
    assert.equal(err.path, "Dhcp6.min-preferred-lifetime");
    assert.equal(
      err.reason,
      "the value of min-preferred-lifetime (200) is not less than (default) preferred-lifetime (100)",
    );
  });

  test("preferred above valid is refused (Kea 2.2 accepts it)", () => {
    const err = refusal('{ "preferred-lifetime": 8000, "valid-lifetime": 7000 }');
    assert.equal(err.path, "Dhcp6.preferred-lifetime");
    assert.match(
      err.reason,
      /the value of preferred-lifetime \(8000\) is greater than the value of valid-lifetime \(7000\)/,
    );
    assert.match(err.message, /^kea6\.conf:1:\d+: Dhcp6\.preferred-lifetime: /);
  });

  test("preferred above a subnet's valid-lifetime is refused at the subnet", () => {
    const err = refusal(
      `{ "preferred-lifetime": 3000, ${subnet(', "valid-lifetime": 2000').slice(1)}`,
    );
    assert.equal(err.path, "Dhcp6.subnet6[0].valid-lifetime");
    assert.doesNotThrow(() => load('{ "preferred-lifetime": 3000, "valid-lifetime": 3000 }'));
  });

  test("t1-percent not below t2-percent with calculated timers (on by default in v6)", () => {
    assert.equal(
      refusal('{ "t1-percent": 0.8 }').reason,
      "t1-percent: 0.8 is invalid, it must be less than t2-percent: 0.8",
    );
  });
});

describe("subnet6, pools and pd-pools", () => {
  test("an IPv4 prefix in subnet6", () => {
    assert.match(
      refusal(subnet().replace("2001:db8:1::/48", "192.0.2.0/24")).reason,
      /not an IPv6 address/,
    );
  });

  test("a prefix length above 128", () => {
    assert.match(refusal(subnet().replace("/48", "/129")).reason, /invalid prefix length "129"/);
  });

  test("pools as ranges and prefixes inside the subnet", () => {
    const { config } = load(
      subnet(
        ', "pools": [ { "pool": "2001:db8:1::10 - 2001:db8:1::ff" }, { "pool": "2001:db8:1:1::/64" } ]',
      ),
    );
    assert.equal(config.subnet6[0]!.pools.length, 2);
  });

  test("a pool outside the subnet", () => {
    const err = refusal(subnet(', "pools": [ { "pool": "2001:db8:2::/64" } ]'));
    assert.equal(err.path, "Dhcp6.subnet6[0].pools[0].pool");
    assert.equal(err.reason, "pool 2001:db8:2::/64 is not inside its subnet 2001:db8:1::/48");
  });

  test("a pd-pool with its lengths", () => {
    const { config } = load(
      subnet(', "pd-pools": [ { "prefix": "3000:1::", "prefix-len": 48, "delegated-len": 64 } ]'),
    );
    assert.deepEqual(config.subnet6[0]!["pd-pools"][0], {
      prefix: "3000:1::",
      "prefix-len": 48,
      "delegated-len": 64,
      "option-data": [],
    });
  });

  test("a delegated length shorter than the prefix length", () => {
    const err = refusal(
      subnet(', "pd-pools": [ { "prefix": "3000::", "prefix-len": 64, "delegated-len": 48 } ]'),
    );
    assert.equal(err.path, "Dhcp6.subnet6[0].pd-pools[0].delegated-len");
    assert.equal(
      err.reason,
      "Delegated length (48) must be longer than or equal to prefix length (64)",
    );
  });

  test("a pd-pool missing its delegated length", () => {
    assert.equal(
      refusal(subnet(', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48 } ]')).reason,
      '"delegated-len" is required in each pd-pools entry',
    );
  });

  test("an excluded prefix must be longer than the delegated length", () => {
    const err = refusal(
      subnet(
        ', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48, "delegated-len": 56, "excluded-prefix": "3000::", "excluded-prefix-len": 56 } ]',
      ),
    );
    assert.equal(err.path, "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix-len");
  });

  test("overlapping pd-pools", () => {
    assert.match(
      refusal(
        subnet(
          ', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48, "delegated-len": 64 }, { "prefix": "3000::", "prefix-len": 56, "delegated-len": 64 } ]',
        ),
      ).reason,
      /overlaps pd-pools\[0\]/,
    );
  });

  test("interface and interface-id together", () => {
    assert.match(
      refusal(subnet(', "interface": "eth0", "interface-id": "relay1"')).reason,
      /cannot be defined at the same time/,
    );
  });

  test("an interface with its unicast address", () => {
    const { config } = load('{ "interfaces-config": { "interfaces": [ "eth0/2001:db8::1" ] } }');
    assert.deepEqual(config["interfaces-config"].interfaces, ["eth0/2001:db8::1"]);
  });
});

describe("Dhcp6 reservations and server-id", () => {
  const host = (fields: string) => subnet(`, "reservations": [ { ${fields} } ]`);

  test("an excluded prefix inside the first delegated prefix is accepted", () => {
    assert.doesNotThrow(() =>
      load(
        subnet(
          ', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48, "delegated-len": 64, "excluded-prefix": "3000:0:0:0:5::", "excluded-prefix-len": 72 } ]',
        ),
      ),
    );
  });

  test("relay-supplied-options by code or by name", () => {
    const { config } = load('{ "relay-supplied-options": [ "65", "dns-servers" ] }');
    assert.deepEqual(config["relay-supplied-options"], ["65", "dns-servers"]);
  });

  test("a reservation with addresses and prefixes", () => {
    const { config } = load(
      host(
        '"duid": "01:02:03:04", "ip-addresses": [ "2001:db8:1::5" ], "prefixes": [ "3000:9::/64" ], "hostname": "h"',
      ),
    );
    assert.deepEqual(config.subnet6[0]!.reservations[0], {
      duid: "01:02:03:04",
      "ip-addresses": ["2001:db8:1::5"],
      prefixes: ["3000:9::/64"],
      hostname: "h",
      "option-data": [],
      "client-classes": [],
    });
  });

  test("client-id is not a v6 identifier", () => {
    assert.equal(
      refusal(host('"client-id": "01:02"')).reason,
      'unknown keyword "client-id" in reservations map',
    );
  });

  test("duid and hw-address together", () => {
    assert.equal(
      refusal(host('"duid": "01:02", "hw-address": "aa:bb:cc:dd:ee:ff"')).reason,
      "the 'duid' and 'hw-address' are mutually exclusive",
    );
  });

  test("a reserved address outside the subnet", () => {
    assert.equal(
      refusal(host('"duid": "01:02:03", "ip-addresses": [ "3000::1" ]')).reason,
      "specified reservation '3000::1' is not within the IPv6 subnet '2001:db8:1::/48'",
    );
  });

  test("a malformed reserved prefix", () => {
    const err = refusal(host('"duid": "01:02:03", "prefixes": [ "3000::" ]'));
    assert.equal(err.path, "Dhcp6.subnet6[0].reservations[0].prefixes[0]");
  });

  test("server-id types and a hexadecimal identifier", () => {
    const { config } = load(
      '{ "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "0102ab", "persist": false } }',
    );
    assert.equal(config["server-id"].type, "EN");
    assert.equal(config["server-id"].persist, false);
    assert.match(
      refusal('{ "server-id": { "type": "XX" } }').reason,
      /expected one of "LLT", "EN", "LL"/,
    );
    assert.match(
      refusal('{ "server-id": { "identifier": "hello" } }').reason,
      /expected hexadecimal bytes/,
    );
  });

  test("data-directory is accepted", () => {
    const { config } = load('{ "data-directory": "/var/lib/nestor" }');
    assert.equal(config["data-directory"], "/var/lib/nestor");
  });

  test("a global rapid-commit is refused, as Kea 2.2 refuses it; a subnet's is read", () => {
    const err = refusal('{ "rapid-commit": true }');
    assert.equal(err.path, "Dhcp6.rapid-commit");
    assert.match(err.reason, /not a global parameter in Kea 2\.2: set it in a subnet6/);
    assert.equal(load(subnet(', "rapid-commit": true')).config.subnet6[0]!["rapid-commit"], true);
  });

  test("a subnet prefix with host bits set is refused, with the network it masks to", () => {
    const err = refusal('{ "subnet6": [ { "subnet": "2001:db8:1::5/64" } ] }');
    assert.equal(err.path, "Dhcp6.subnet6[0].subnet");
    assert.match(err.reason, /bits set beyond its \/64 prefix \(did you mean 2001:db8:1::\/64\?\)/);
  });

  test("option-data in the dhcp6 space takes 16-bit codes", () => {
    const { config } = load('{ "option-data": [ { "code": 23, "data": "2001:db8::1" } ] }');
    assert.equal(config["option-data"][0]!.space, "dhcp6");
    assert.match(
      refusal('{ "option-data": [ { "code": 70000, "data": "1" } ] }').reason,
      /out of range/,
    );
  });
});

describe("other Dhcp6 rules, with path and reason", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "a pd-pool prefix with bits beyond its length",
      subnet(', "pd-pools": [ { "prefix": "3000::1:0", "prefix-len": 64, "delegated-len": 96 } ]'),
      "Dhcp6.subnet6[0].pd-pools[0].prefix",
      /has bits set beyond its \/64 length/,
    ],
    [
      "an excluded prefix without its length",
      subnet(
        ', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48, "delegated-len": 56, "excluded-prefix": "3000::" } ]',
      ),
      "Dhcp6.subnet6[0].pd-pools[0]",
      /"excluded-prefix" and "excluded-prefix-len" go together/,
    ],
    [
      "a pd-pool prefix that is not an address",
      subnet(', "pd-pools": [ { "prefix": "3000::/48", "prefix-len": 48, "delegated-len": 56 } ]'),
      "Dhcp6.subnet6[0].pd-pools[0].prefix",
      /"3000::\/48" is not an IPv6 address/,
    ],
    [
      "a relay address that is IPv4",
      subnet(', "relay": { "ip-addresses": [ "192.0.2.1" ] }'),
      "Dhcp6.subnet6[0].relay.ip-addresses[0]",
      /not an IPv6 address/,
    ],
    [
      "a v6 reservation that reserves nothing",
      subnet(', "reservations": [ { "duid": "01:02:03" } ]'),
      "Dhcp6.subnet6[0].reservations[0]",
      /must include at least one resource, i.e. hostname, IPv6 address\/prefix, options$/,
    ],
    [
      "an option definition that redefines a standard v6 option",
      '{ "option-def": [ { "name": "my-dns", "code": 23, "type": "ipv6-address", "array": true } ] }',
      "Dhcp6.option-def[0].code",
      /standard option space 'dhcp6'/,
    ],
    [
      "an excluded prefix outside the first delegated prefix",
      subnet(
        ', "pd-pools": [ { "prefix": "3000::", "prefix-len": 48, "delegated-len": 64, "excluded-prefix": "3000:0:0:5::", "excluded-prefix-len": 72 } ]',
      ),
      "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix",
      /must have the same common prefix part of 64 as the delegated prefix 3000::\/64/,
    ],
    [
      "a pd-pool overlapping an address pool",
      subnet(
        ', "pools": [ { "pool": "2001:db8:1::1 - 2001:db8:1::5" } ], "pd-pools": [ { "prefix": "2001:db8:1::", "prefix-len": 64, "delegated-len": 80 } ]',
      ),
      "Dhcp6.subnet6[0].pd-pools[0]",
      /overlaps the address pool pools\[0\]/,
    ],
    [
      "an empty mac-sources list",
      '{ "mac-sources": [] }',
      "Dhcp6.mac-sources",
      /the mac-sources list must not be empty/,
    ],
    [
      "a mac source twice",
      '{ "mac-sources": [ "any", "any" ] }',
      "Dhcp6.mac-sources[1]",
      /The mac-sources value 'any' was specified twice/,
    ],
    [
      "an unknown relay-supplied option",
      '{ "relay-supplied-options": [ "65", "foo" ] }',
      "Dhcp6.relay-supplied-options[1]",
      /unable to find option code for the specified option name 'foo'/,
    ],
    [
      "an empty data directory",
      '{ "data-directory": "" }',
      "Dhcp6.data-directory",
      /must not be empty/,
    ],
    [
      "an unknown mac source",
      '{ "mac-sources": [ "arp" ] }',
      "Dhcp6.mac-sources[0]",
      /expected one of "any"/,
    ],
    [
      "circuit-id in host-reservation-identifiers",
      '{ "host-reservation-identifiers": [ "circuit-id" ] }',
      "Dhcp6.host-reservation-identifiers[0]",
      /expected one of "hw-address", "duid", "flex-id"/,
    ],
    [
      "an interface address that is not IPv6",
      '{ "interfaces-config": { "interfaces": [ "eth0/192.0.2.1" ] } }',
      "Dhcp6.interfaces-config.interfaces[0]",
      /not an IPv6 address/,
    ],
  ];
  for (const [name, body, path, expected] of cases) {
    test(name, () => {
      const err = refusal(body);
      assert.equal(err.path, path);
      assert.match(err.reason, expected);
    });
  }
});

describe("Dhcp6 lease-database", () => {
  test("a PostgreSQL lease database with Kea's keys is accepted; a bad key is refused where it is", () => {
    const { config } = load(
      '{ "lease-database": { "type": "postgresql", "name": "kea", "host": "/run/postgresql", "port": 5432, "user": "kea", "password": "x", "connect-timeout": 10, "max-reconnect-tries": 5, "reconnect-wait-time": 1000, "on-fail": "stop-retry-exit" } }',
    );
    assert.equal(config["lease-database"].type, "postgresql");
    assert.equal(config["lease-database"]["on-fail"], "stop-retry-exit");
    const err = refusal(
      '{ "lease-database": { "type": "postgresql", "name": "kea", "on-fail": "never" } }',
    );
    assert.equal(err.path, "Dhcp6.lease-database.on-fail");
    assert.match(err.reason, /on-fail 'never' is invalid/);
    const tls = refusal(
      '{ "lease-database": { "type": "postgresql", "name": "kea", "trust-anchor": "ca.pem" } }',
    );
    assert.equal(tls.path, "Dhcp6.lease-database.trust-anchor");
  });

  test("a MySQL lease database is refused, naming what Nestor has", () => {
    const err = refusal('{ "lease-database": { "type": "mysql", "name": "kea" } }');
    assert.equal(err.path, "Dhcp6.lease-database.type");
    assert.match(err.reason, /only "memfile" and "postgresql"/);
  });
});
