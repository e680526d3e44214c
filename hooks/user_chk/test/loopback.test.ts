/**
 * user_chk in the command line servers an operator runs (nestor-dhcp4 / nestor-dhcp6 -c FILE) on
 * loopback, without root: a relay agent on 127.0.0.1 / ::1 sends the clients' queries to the
 * server's port, and the configuration names Kea's `libdhcp_user_chk.so`, which loads
 * hooks/user_chk. Registered clients get the privileged subnet and their boot values, the others
 * the restricted subnet; the outcome file has one record per lease.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { D6O, DHO, Option, Pkt6, type Pkt4 } from "nestor/dhcp";
import { CLI } from "../../../test/e2e/lib/nestor.ts";
import { CLI6 } from "../../../test/e2e/lib/nestor6.ts";
import { clientQuery, Relay4 } from "../../../test/helpers/relay4.ts";
import { Relay6 } from "../../../test/helpers/relay6.ts";
import { ia, iasOf, leasesIn, M } from "../../../test/helpers/dhcp6.ts";

const KEA_LIBRARY = "/usr/local/lib/libdhcp_user_chk.so";

/** A UDP port free on loopback at the time of asking. */
async function freePort(family: "udp4" | "udp6"): Promise<number> {
  const s = createSocket(family);
  s.bind(0, family === "udp4" ? "127.0.0.1" : "::1");
  await once(s, "listening");
  const port = s.address().port;
  s.close();
  return port;
}

/** Starts a server program and waits until it serves; stopped by PID in `stop`. */
async function startCli(
  cli: string,
  args: string[],
): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref()),
      ]);
      if (!done) child.kill("SIGKILL");
    }
  };
  const deadline = Date.now() + 20_000;
  while (!/serving \d+ subnet/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output, stop };
}

/**
 * The test helpers' relay is typed with the server's own Pkt6 class; the test builds packets with
 * the public one (the same class, reached through nestor/dhcp).
 */
function asRelayed(p: Pkt6): Parameters<Relay6["ask"]>[1] {
  return p as unknown as Parameters<Relay6["ask"]>[1];
}

function record(idType: string, client: string, addr: string, registered: boolean): string {
  return `id_type=${idType}\nclient=${client}\naddr=${addr}\nregistered=${registered ? "yes" : "no"}\n\n`;
}

test(
  "nestor-dhcp4 on loopback, configured with libdhcp_user_chk.so",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "user-chk-lo4-"));
    const relay = await Relay4.open();
    const registry = join(dir, "user_chk_registry.txt");
    const outcome = join(dir, "user_chk_outcome.txt");
    writeFileSync(
      registry,
      '{ "type": "HW_ADDR", "id": "02:00:00:00:10:01", "bootfile": "/pxe/lo.efi", "tftp_server": "tftp.example.com" }\n',
    );
    const file = join(dir, "kea-dhcp4.conf");
    writeFileSync(
      file,
      JSON.stringify({
        Dhcp4: {
          "interfaces-config": { interfaces: ["lo"] },
          "lease-database": { type: "memfile", persist: false },
          "hooks-libraries": [{ library: KEA_LIBRARY, parameters: { registry, outcome } }],
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": ["127.0.0.1"] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
            },
            { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.20" }] },
          ],
          loggers: [
            { name: "kea-dhcp4", severity: "INFO", "output-options": [{ output: "stdout" }] },
          ],
        },
      }),
    );
    const port = await freePort("udp4");
    const server = await startCli(CLI, ["-c", file, "-p", String(port), "-P", String(relay.port)]);
    try {
      const granted: string[] = [];
      for (const mac of ["02:00:00:00:10:01", "02:00:00:00:10:02"]) {
        const prl = () =>
          new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 66, 67]));
        const discover = clientQuery(1, mac);
        discover.delOption(DHO.DHCP_PARAMETER_REQUEST_LIST);
        discover.addOption(prl());
        const offer = (await relay.ask(port, discover)) as unknown as Pkt4 | null;
        assert.ok(offer, `no OFFER for ${mac}:\n${server.output()}`);
        const sid = [...offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()].join(".");
        const request = clientQuery(3, mac, offer.yiaddr, sid);
        request.delOption(DHO.DHCP_PARAMETER_REQUEST_LIST);
        request.addOption(prl());
        const ack = (await relay.ask(port, request)) as unknown as Pkt4 | null;
        assert.ok(ack, `no ACK for ${mac}`);
        granted.push(ack.yiaddr);
        if (mac.endsWith("01")) {
          assert.match(ack.yiaddr, /^198\.51\.100\./);
          assert.equal(ack.getOption(67)?.getData().toString(), "/pxe/lo.efi");
          assert.equal(ack.getOption(66)?.getData().toString(), "tftp.example.com");
          assert.equal(ack.file, "/pxe/lo.efi");
        } else {
          assert.match(ack.yiaddr, /^203\.0\.113\./);
          assert.equal(ack.getOption(67), undefined);
        }
      }
      assert.equal(
        readFileSync(outcome, "utf8"),
        record("HW_ADDR", "hwtype=1 02:00:00:00:10:01", granted[0]!, true) +
          record("HW_ADDR", "hwtype=1 02:00:00:00:10:02", granted[1]!, false),
      );
      assert.match(server.output(), /USER_CHK_LOADED/);
      assert.doesNotMatch(server.output(), /\bERROR\b/);
    } finally {
      await server.stop();
      relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "nestor-dhcp6 on loopback, configured with libdhcp_user_chk.so",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "user-chk-lo6-"));
    const relay = await Relay6.open();
    const registry = join(dir, "user_chk_registry.txt");
    const outcome = join(dir, "user_chk_outcome.txt");
    const known = Buffer.from("00030001020000001001", "hex");
    const stranger = Buffer.from("00030001020000001002", "hex");
    writeFileSync(
      registry,
      '{ "type": "DUID", "id": "00:03:00:01:02:00:00:00:10:01", "bootfile": "lo6.efi", "tftp_server": "2001:db8::69" }\n',
    );
    const file = join(dir, "kea-dhcp6.conf");
    writeFileSync(
      file,
      JSON.stringify({
        Dhcp6: {
          "interfaces-config": { interfaces: ["lo"] },
          "data-directory": dir,
          "server-id": { type: "LLT", persist: false },
          "lease-database": { type: "memfile", persist: false },
          "hooks-libraries": [{ library: KEA_LIBRARY, parameters: { registry, outcome } }],
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:1::/64",
              "interface-id": "lo-test",
              pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::20" }],
            },
            {
              id: 2,
              subnet: "2001:db8:2::/64",
              pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::20" }],
            },
          ],
          loggers: [
            { name: "kea-dhcp6", severity: "INFO", "output-options": [{ output: "stdout" }] },
          ],
        },
      }),
    );
    const port = await freePort("udp6");
    const server = await startCli(CLI6, ["-c", file, "-p", String(port)]);
    try {
      const granted: string[] = [];
      for (const duid of [known, stranger]) {
        const message = (type: number, serverId: Buffer | null, hints: string[] = []) => {
          const p = Pkt6.create(type, Math.floor(Math.random() * 0xffffff));
          p.addOption(new Option(6, D6O.CLIENTID, duid));
          if (serverId !== null) p.addOption(new Option(6, D6O.SERVERID, serverId));
          p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
          p.addOption(new Option(6, D6O.ORO, Buffer.from([0, 23, 0, 59])));
          p.addOption(ia({ hints }) as unknown as Option);
          return p;
        };
        const adv = await relay.ask(port, asRelayed(message(M.DHCPV6_SOLICIT, null)));
        assert.ok(adv, `no ADVERTISE:\n${server.output()}`);
        const sid = adv.getOption(D6O.SERVERID)!.getData();
        const offered = leasesIn(iasOf(adv)[0]!);
        const reply = await relay.ask(port, asRelayed(message(M.DHCPV6_REQUEST, sid, offered)));
        assert.ok(reply, "no REPLY");
        const addr = leasesIn(iasOf(reply)[0]!)[0]!;
        granted.push(addr);
        if (duid === known) {
          assert.match(addr, /^2001:db8:1::/);
          assert.equal(reply.getOption(59)?.getData().toString(), "tftp://[2001:db8::69]/lo6.efi");
        } else {
          assert.match(addr, /^2001:db8:2::/);
          assert.equal(reply.getOption(59), undefined);
        }
      }
      assert.equal(
        readFileSync(outcome, "utf8"),
        record("DUID", "00:03:00:01:02:00:00:00:10:01", granted[0]!, true) +
          record("DUID", "00:03:00:01:02:00:00:00:10:02", granted[1]!, false),
      );
      assert.doesNotMatch(server.output(), /\bERROR\b/);
    } finally {
      await server.stop();
      relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
