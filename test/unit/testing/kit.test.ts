// nestor/testing (src/testing/): both servers' real processing in memory with a library loaded,
// the query builders, the manual clock with reclamation, statistics, log lines and commands.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  DHCPMessageType as T,
  DHCPv6MessageType as M,
  D6O,
  DHO,
} from "../../../src/dhcp/constants.ts";
import {
  ManualClock,
  TestServer4,
  TestServer6,
  discover,
  release,
  renew,
  request,
  request6,
  solicit,
} from "../../../src/testing/index.ts";

const dir = mkdtempSync(join(tmpdir(), "nestor-kit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small library: counts DISCOVERs, drops one MAC, answers a command, sees expirations. */
const LIBRARY = join(dir, "tally.mjs");
writeFileSync(
  LIBRARY,
  `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
let discovers = 0, expired = [], blocked = "";
export const version = () => HOOKS_VERSION;
export function load(handle) {
  blocked = handle.getParameter("blocked") ?? "";
  handle.registerCommandCallout("tally-get", (h) => {
    h.setArgument("response", { result: 0, text: "tally", arguments: { discovers, expired } });
    return 0;
  });
  return 0;
}
export function pkt4_receive(handle) {
  const q = handle.getArgument("query4");
  if (q.getType() === 1) discovers++;
  if (q.getHWAddr().toText(false) === blocked) handle.setStatus(NextStep.DROP);
  return 0;
}
export function lease4_expire(handle) {
  expired.push(handle.getArgument("lease4").address);
  return 0;
}
`,
);

const CONFIG4 = {
  "valid-lifetime": 600,
  subnet4: [
    {
      id: 1,
      subnet: "198.51.100.0/24",
      pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
      relay: { "ip-addresses": ["198.51.100.254"] },
    },
  ],
};

test("TestServer4: a relayed DORA through the library, leases, statistics, log lines, command", async () => {
  const server = await TestServer4.start({
    config: CONFIG4,
    libraries: [{ library: LIBRARY, parameters: { blocked: "02:00:00:00:00:66" } }],
  });
  try {
    const mac = "02:00:00:00:00:01";
    const offer = await server.query(discover({ mac, relay: "198.51.100.254" }));
    assert.equal(offer?.getType(), T.DHCPOFFER);
    assert.equal(offer.yiaddr, "198.51.100.10");
    const ack = await server.query(
      request({ mac, relay: "198.51.100.254", requested: offer.yiaddr, serverId: "198.51.100.1" }),
    );
    assert.equal(ack?.getType(), T.DHCPACK);
    assert.equal(ack.getOption(DHO.DHCP_LEASE_TIME)?.getData().readUInt32BE(0), 600);
    assert.equal(server.lease("198.51.100.10")?.hwaddr?.toText(false), mac);
    assert.equal(server.allLeases().length, 1);
    assert.equal(server.statistic("subnet[1].assigned-addresses"), 1);
    assert.equal(server.statistic("pkt4-ack-sent"), 1);
    assert.equal(server.logged("DHCP4_LEASE_ALLOC").length, 1);

    // The library's DROP: no answer, counted by the library.
    assert.equal(
      await server.query(discover({ mac: "02:00:00:00:00:66", relay: "198.51.100.254" })),
      null,
    );
    const tally = await server.command("tally-get");
    assert.deepEqual(tally, { result: 0, text: "tally", arguments: { discovers: 2, expired: [] } });
    // A command nobody registered answers as over a socket.
    assert.equal((await server.command("no-such-command")).result, 2);

    const released = await server.query(
      release({ mac, ciaddr: "198.51.100.10", serverId: "198.51.100.1" }),
    );
    assert.equal(released, null);
    assert.equal(server.statistic("subnet[1].assigned-addresses"), 0);
  } finally {
    await server.close();
  }
});

test("ManualClock: leases age without waiting; reclaimExpired runs lease4_expire", async () => {
  const clock = new ManualClock(new Date("2026-01-01T00:00:00Z"));
  const server = await TestServer4.start({
    config: CONFIG4,
    libraries: [{ library: LIBRARY }],
    clock,
  });
  try {
    assert.equal(Date.now(), Date.parse("2026-01-01T00:00:00Z"), "the clock is Date.now()");
    const mac = "02:00:00:00:00:02";
    const offer = await server.query(discover({ mac, relay: "198.51.100.254" }));
    await server.query(
      request({ mac, relay: "198.51.100.254", requested: offer!.yiaddr, serverId: "198.51.100.1" }),
    );
    assert.equal(server.lease(offer!.yiaddr)?.cltt, Date.parse("2026-01-01T00:00:00Z") / 1000);
    assert.equal(await server.reclaimExpired(), 0, "nothing expired yet");
    clock.advance(601);
    assert.equal(await server.reclaimExpired(), 1);
    const tally = await server.command("tally-get");
    assert.deepEqual((tally.arguments as { expired: string[] }).expired, [offer!.yiaddr]);
    assert.equal(server.statistic("reclaimed-leases"), 1);
  } finally {
    await server.close();
  }
  assert.notEqual(Date.now(), clock.now(), "close() gives Date.now() back");
});

test("a bad configuration throws the server's error with the key and reason", async () => {
  await assert.rejects(
    TestServer4.start({ config: { subnet4: [{ id: 1, subnet: "198.51.100.0/33" }] } }),
    /<test>.*Dhcp4\.subnet4\[0\]\.subnet/,
  );
});

test("TestServer6: relayed SOLICIT and REQUEST for an address and a prefix, RENEW", async () => {
  const server = await TestServer6.start({
    config: {
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          pools: [{ pool: "2001:db8:1::100 - 2001:db8:1::1ff" }],
          "pd-pools": [{ prefix: "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 }],
        },
      ],
    },
  });
  try {
    const relays = [{ link: "2001:db8:1::1" }];
    const ias = [{}, { pd: true }];
    const advertise = await server.query(solicit({ relays, ias }));
    assert.equal(advertise?.getType(), M.DHCPV6_ADVERTISE);
    assert.equal(advertise.relayInfo.length, 1, "answered through the relay");
    const reply = await server.query(request6({ relays, ias, serverId: server.duid }));
    assert.equal(reply?.getType(), M.DHCPV6_REPLY);
    assert.equal(server.allLeases().length, 2);
    const na = server.allLeases().find((l) => (l.type ?? 0) === 0)!;
    assert.match(na.address, /^2001:db8:1::1[0-9a-f]{2}$/);
    assert.equal(server.lease(na.address)?.subnetId, 1);
    assert.equal(server.statistic("subnet[1].assigned-nas"), 1);
    assert.equal(server.statistic("subnet[1].assigned-pds"), 1);
    const renewed = await server.query(
      renew({ serverId: server.duid, ias: [{ hints: [na.address] }] }),
      {
        from: "2001:db8:1::99",
      },
    );
    assert.equal(renewed?.getType(), M.DHCPV6_REPLY);
    assert.ok(renewed.getOption(D6O.IA_NA) !== undefined);
  } finally {
    await server.close();
  }
});
