/**
 * The unix control socket under a crowd and a large command, side by side with Kea 2.2:
 * kea-dhcp4/kea-dhcp6 and nestor-dhcp4/nestor-dhcp6 on the same settings (no interfaces) are each
 * sent, by 200 clients connected at once, one version-get each, then one 10 MB command; every
 * client must be answered by both, and the two answers to the large command must be the same.
 *
 * Needs root and the Debian packages kea-dhcp4-server and kea-dhcp6-server.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";

import { controlCommand } from "./lib/control-client.ts";
import { SideBySideSuite, type ControlledServer } from "./lib/control-side-by-side.ts";

const CLIENTS = 200;

/** Opens `n` connections (each recording what it is sent), then writes a command on each. */
async function crowd(socket: string, n: number): Promise<{ answered: number; other: string[] }> {
  const sockets: Socket[] = [];
  const texts: Promise<string>[] = [];
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(socket, () => resolve());
        sockets.push(s);
        const chunks: Buffer[] = [];
        s.on("data", (c: Buffer) => chunks.push(c));
        s.on("error", () => resolve());
        texts.push(
          new Promise<string>((done) => {
            const timer = setTimeout(() => s.destroy(), 60_000);
            s.on("close", () => {
              clearTimeout(timer);
              done(Buffer.concat(chunks).toString("utf8"));
            });
          }),
        );
      });
    }
    for (const s of sockets) if (!s.destroyed) s.write('{ "command": "version-get" }');
    let answered = 0;
    const other: string[] = [];
    for (const t of await Promise.all(texts)) {
      try {
        if ((JSON.parse(t) as { result: number }).result === 0) answered++;
        else other.push(t);
      } catch {
        other.push(t === "" ? "(closed without an answer)" : t);
      }
    }
    return { answered, other };
  } finally {
    for (const s of sockets) s.destroy();
  }
}

for (const family of [4, 6] as const) {
  describe(`control socket limits, DHCPv${family}, side by side with Kea 2.2`, () => {
    const suite = new SideBySideSuite(family, []);
    let servers: Record<"kea" | "nestor", ControlledServer>;

    before(async () => {
      suite.open(`nestor-e2e-ctl-limits${family}-`);
      servers = await suite.start(
        "limits",
        family === 6 ? { "server-id": { type: "LLT", persist: false } } : {},
      );
    });
    after(() => suite.close());

    it(`${CLIENTS} clients connected at once are all answered by both`, async () => {
      for (const who of ["kea", "nestor"] as const) {
        const r = await crowd(servers[who].socket, CLIENTS);
        assert.deepEqual(r.other, [], `${who}: ${r.answered} of ${CLIENTS} answered`);
        assert.equal(r.answered, CLIENTS, who);
      }
    });

    it("a 10 MB command gets the same answer from both, and the server goes on", async () => {
      const big = { command: "no-such-command", arguments: { blob: "x".repeat(10 << 20) } };
      const kea = await controlCommand(servers.kea.socket, big, 120_000);
      const nestor = await controlCommand(servers.nestor.socket, big, 120_000);
      assert.deepEqual(nestor, kea);
      assert.equal(nestor.result, 2);
      for (const who of ["kea", "nestor"] as const) {
        const v = await controlCommand(servers[who].socket, { command: "version-get" });
        assert.equal(v.result, 0, who);
      }
    });
  });
}
