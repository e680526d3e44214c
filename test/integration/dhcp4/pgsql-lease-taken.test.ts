/**
 * A REQUEST whose lease another server committed first (one PostgreSQL lease database shared
 * active/active): the reply is held back (pkt4-lease-taken-drop / pkt6-lease-taken-drop), and the
 * lease, never granted here, is not counted in the server's assigned-addresses / assigned-nas.
 * The "other server" is a row written straight into Kea's table between the OFFER/ADVERTISE and
 * the REQUEST, without a notification: the server learns of it only at its commit.
 *
 * nestor-dhcp4 and nestor-dhcp6 in this process, on loopback, relays on 127.0.0.1 and ::1; the
 * database a throw-away PostgreSQL in Kea 2.2's schema (test/helpers/pg-kea.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DHCPMessageType as T, DHO, D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { Dhcp6Server } from "../../../src/dhcp6/server.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { CLIENT_DUID, M, ia, iasOf, leasesIn } from "../../helpers/dhcp6.ts";
import { PgKea, type KeaDatabase } from "../../helpers/pg-kea.ts";
import { Relay4, clientQuery } from "../../helpers/relay4.ts";
import { Relay6 } from "../../helpers/relay6.ts";
import { startForRelay } from "../../helpers/relayed-start.ts";

let pg: PgKea;
before(async () => {
  pg = await PgKea.start();
});
after(async () => {
  await pg?.stop();
});

function configFile(family: 4 | 6, db: KeaDatabase, body: object): string {
  const dir = mkdtempSync(join(tmpdir(), `nestor-pgsql-taken${family}-`));
  const file = join(dir, `kea-dhcp${family}.conf`);
  const common = {
    "interfaces-config": { interfaces: ["lo"] },
    "lease-database": db.keaConfig(),
    "valid-lifetime": 4000,
    loggers: [{ name: `kea-dhcp${family}`, severity: "WARN" }],
    ...(family === 6 ? { "data-directory": dir, "preferred-lifetime": 3000 } : {}),
  };
  writeFileSync(file, JSON.stringify({ [`Dhcp${family}`]: { ...common, ...body } }));
  return file;
}

function stat(server: Dhcp4Server | Dhcp6Server, name: string): number {
  return Number(server.stats.get(name)?.value ?? 0);
}

test("nestor-dhcp4: a REQUEST whose address another server committed first gets no ACK, and the address is not counted in assigned-addresses", async () => {
  const db = pg.createKeaDatabase("taken4");
  const file = configFile(4, db, {
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        relay: { "ip-addresses": ["127.0.0.1"] },
        pools: [{ pool: "198.51.100.10 - 198.51.100.12" }],
      },
    ],
  });
  const relay = await Relay4.open();
  const logs = new LogManager("nestor-dhcp4");
  const server = await startForRelay(relay, () =>
    Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: relay.port, logs }),
  );
  try {
    const mac = "02:00:00:00:0a:01";
    const dora = async (): Promise<{ offered: string; ack: boolean }> => {
      const offer = await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, mac));
      assert.equal(offer?.getType(), T.DHCPOFFER);
      const sid = [...offer!.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()].join(".");
      const offered = offer!.yiaddr;
      if (offered === "198.51.100.10") {
        // The other server's lease, committed between this server's OFFER and its REQUEST.
        pg.psql(
          "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) " +
            "VALUES (3325256714, '\\x02000000ff01', '', 4000, now() + interval '4000 seconds', 1, false, false, '', 0, '')",
          db.name,
        );
      }
      const ack = await relay.ask(server.port, clientQuery(T.DHCPREQUEST, mac, offered, sid));
      return { offered, ack: ack?.getType() === T.DHCPACK };
    };
    assert.deepEqual(await dora(), { offered: "198.51.100.10", ack: false });
    assert.equal(stat(server, "pkt4-lease-taken-drop"), 1);
    assert.equal(stat(server, "subnet[1].assigned-addresses"), 0, "the lost lease is not counted");
    assert.equal(stat(server, "subnet[1].pool[0].assigned-addresses"), 0);
    // The client tries again: another address (the lost one's pool searched from a random
    // place since), granted and counted once.
    const again = await dora();
    assert.notEqual(again.offered, "198.51.100.10");
    assert.equal(again.ack, true);
    assert.equal(stat(server, "subnet[1].assigned-addresses"), 1);
    assert.equal(stat(server, "subnet[1].pool[0].assigned-addresses"), 1);
  } finally {
    await server.stop();
    relay.close();
  }
});

test("nestor-dhcp6: a REQUEST whose address another server committed first gets no lease, and the address is not counted in assigned-nas", async () => {
  const db = pg.createKeaDatabase("taken6");
  const file = configFile(6, db, {
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        "interface-id": "lo-test",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
      },
    ],
  });
  const relay = await Relay6.open();
  const logs = new LogManager("nestor-dhcp6");
  const server = await startForRelay(relay, () =>
    Dhcp6Server.start({ configFile: file, serverPort: 0, logs }),
  );
  let xid = 1;
  const message = (type: number, serverId: Buffer | null, hints: string[] = []): Pkt6 => {
    const p = Pkt6.create(type, xid++);
    p.addOption(new Option(6, D6O.CLIENTID, CLIENT_DUID));
    if (serverId !== null) p.addOption(new Option(6, D6O.SERVERID, serverId));
    p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
    p.addOption(ia({ hints }));
    return p;
  };
  try {
    const exchange = async (): Promise<{ advertised: string; granted: string[] }> => {
      const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null));
      assert.equal(adv?.getType(), M.DHCPV6_ADVERTISE);
      const sid = adv!.getOption(D6O.SERVERID)!.getData();
      const advertised = leasesIn(iasOf(adv!)[0]!)[0]!;
      if (advertised === "2001:db8:1::10") {
        // The other server's lease, committed between the ADVERTISE and the REQUEST.
        pg.psql(
          "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) " +
            "VALUES ('2001:db8:1::10', '\\x00010001aabbccdd0200000000ff', 4000, now() + interval '4000 seconds', 1, 3000, 0, 7, 128, false, false, '', '', 0, 0, 0, '')",
          db.name,
        );
      }
      const reply = await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, [advertised]));
      const granted = reply === null ? [] : iasOf(reply).flatMap((x) => leasesIn(x));
      return { advertised, granted };
    };
    assert.deepEqual(await exchange(), { advertised: "2001:db8:1::10", granted: [] });
    assert.equal(stat(server, "pkt6-lease-taken-drop"), 1);
    assert.equal(stat(server, "subnet[1].assigned-nas"), 0, "the lost lease is not counted");
    assert.equal(stat(server, "subnet[1].pool[0].assigned-nas"), 0);
    // Another address (the lost one's pool searched from a random place since), granted and
    // counted once.
    const again = await exchange();
    assert.notEqual(again.advertised, "2001:db8:1::10");
    assert.deepEqual(again.granted, [again.advertised]);
    assert.equal(stat(server, "subnet[1].assigned-nas"), 1);
    assert.equal(stat(server, "subnet[1].pool[0].assigned-nas"), 1);
  } finally {
    await server.stop();
    relay.close();
  }
});
