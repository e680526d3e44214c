/**
 * The load check (perfdhcp-free): relayed clients on loopback run DORA exchanges back to back
 * while config-set and libreload run over the control channel; every exchange must complete.
 * Prints the figure: exchanges completed, lost, reconfigurations done.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DHCPMessageType as T, DHO } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { RELAY, clientQuery } from "../../helpers/relay4.ts";
import { FIXTURES, body4, httpCommand, mac, startBed, unixCommand } from "./helpers.ts";

const DURATION_MS = 3000;
const CLIENTS = 32;
const STEP_TIMEOUT_MS = 1000;

test("DORA under load loses no exchange while config-set and libreload run", async () => {
  const libraries: JsonObject[] = [
    { library: join(FIXTURES, "packet-callouts.ts") },
    { library: join(FIXTURES, "chained.ts"), parameters: { tag: "load" } },
  ];
  const bed = await startBed({ "hooks-libraries": libraries });
  // The server answers relayed queries to the relay's port (-P): use the bed's relay socket,
  // matching answers to queries by transaction id.
  const sock = bed.relay.socket;
  sock.removeAllListeners("message");
  const waiting = new Map<number, (p: Pkt4) => void>();
  sock.on("message", (m: Buffer) => {
    const p = Pkt4.parse(m);
    waiting.get(p.transid)?.(p);
  });
  const server = bed.server;
  let nextXid = 1;
  const ask = (q: Pkt4): Promise<Pkt4 | null> => {
    q.transid = nextXid++;
    q.giaddr = RELAY;
    q.setHops(1);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(q.transid);
        resolve(null);
      }, STEP_TIMEOUT_MS);
      waiting.set(q.transid, (p) => {
        clearTimeout(timer);
        waiting.delete(q.transid);
        resolve(p);
      });
      sock.send(q.pack(), server.port, RELAY);
    });
  };
  let done = 0;
  let lost = 0;
  let reconfigurations = 0;
  const end = Date.now() + DURATION_MS;
  const client = async (i: number) => {
    for (let n = 0; Date.now() < end; n++) {
      const m = mac(((i * 7 + n) % 200) + 1);
      const offer = await ask(clientQuery(T.DHCPDISCOVER, m));
      const sid = offer?.getOption(DHO.DHCP_SERVER_IDENTIFIER)?.getData();
      const ack =
        offer === null || sid === undefined
          ? null
          : await ask(clientQuery(T.DHCPREQUEST, m, offer.yiaddr, [...sid].join(".")));
      if (ack?.getType() === T.DHCPACK) done++;
      else lost++;
    }
  };
  const control = async () => {
    for (let n = 0; Date.now() < end - 200; n++) {
      const answer =
        n % 2 === 0
          ? await unixCommand(bed.socketPath, {
              command: "config-set",
              arguments: {
                Dhcp4: body4({ "valid-lifetime": 4000 + n, "hooks-libraries": libraries }),
              },
            })
          : await httpCommand(bed.httpPort, { command: "libreload" });
      assert.equal(answer.result, 0, answer.text);
      reconfigurations++;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await Promise.all([control(), ...Array.from({ length: CLIENTS }, (_, i) => client(i))]);
    const rate = Math.round(done / (DURATION_MS / 1000));
    console.log(
      `load check: ${done} DORA exchanges completed (${rate}/s), ${lost} lost, ` +
        `${reconfigurations} config-set/libreload during the run`,
    );
    assert.ok(reconfigurations >= 4, `only ${reconfigurations} reconfigurations`);
    assert.ok(done > 100, `only ${done} exchanges`);
    assert.equal(lost, 0, `${lost} of ${done + lost} exchanges lost`);
    const seen = (globalThis as { nestorPacketCallouts?: number }).nestorPacketCallouts ?? 0;
    assert.ok(seen >= 2 * done, "the packet callouts ran on every query");
  } finally {
    await bed.close();
  }
});
