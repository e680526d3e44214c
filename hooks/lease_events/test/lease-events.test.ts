/**
 * lease_events in the real query processing (nestor/testing) against a local HTTP endpoint that
 * fails and recovers: events delivered in order after retries, kept on disk across a restart
 * while the endpoint is down, replies held only with `sync`, every kind of event, bad parameters.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { DHCPMessageType as T } from "nestor/dhcp";
import {
  ManualClock,
  TestServer4,
  TestServer6,
  decline,
  discover,
  release,
  request,
  request6,
  solicit,
} from "nestor/testing";

import { parseSettings } from "../params.ts";

const LIBRARY = fileURLToPath(new URL("../index.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "nestor-lease-events-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Posted {
  seq: number;
  event: string;
  family: number;
  lease: Record<string, unknown>;
}

/** An endpoint answering `plan` statuses in turn (then 200), recording what it accepted. */
class Endpoint {
  readonly accepted: Posted[] = [];
  requests = 0;
  plan: number[] = [];
  delayMs = 0;
  private server!: Server;
  url = "";

  static async open(): Promise<Endpoint> {
    const e = new Endpoint();
    e.server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        e.requests++;
        const status = e.plan.shift() ?? 200;
        setTimeout(() => {
          if (status === 200) e.accepted.push(...(JSON.parse(body) as { events: Posted[] }).events);
          res.writeHead(status).end();
        }, e.delayMs);
      });
    });
    await new Promise<void>((r) => e.server.listen(0, "127.0.0.1", r));
    const a = e.server.address();
    e.url = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}/events`;
    return e;
  }

  async until(n: number, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.accepted.length < n && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(this.accepted.length, n, `endpoint got ${this.accepted.length} of ${n} events`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const CONFIG4 = {
  "valid-lifetime": 600,
  "decline-probation-period": 3600,
  subnet4: [
    {
      id: 1,
      subnet: "198.51.100.0/24",
      pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
      relay: { "ip-addresses": ["198.51.100.254"] },
    },
  ],
};
const relay = "198.51.100.254";
const serverId = "198.51.100.1";

async function lease(server: TestServer4, mac: string): Promise<string> {
  const offer = await server.query(discover({ mac, relay }));
  const ack = await server.query(request({ mac, relay, requested: offer!.yiaddr, serverId }));
  assert.equal(ack?.getType(), T.DHCPACK);
  return ack.yiaddr;
}

test("events are delivered in order after the endpoint fails twice; the status command counts", async () => {
  const endpoint = await Endpoint.open();
  endpoint.plan = [503, 503];
  const server = await TestServer4.start({
    config: CONFIG4,
    libraries: [{ library: LIBRARY, parameters: { url: endpoint.url, "retry-ms": 20 } }],
  });
  try {
    const a = await lease(server, "02:00:00:00:00:01");
    const b = await lease(server, "02:00:00:00:00:02");
    await endpoint.until(2);
    assert.deepEqual(
      endpoint.accepted.map((e) => [
        e.seq,
        e.event,
        e.family,
        e.lease["ip-address"],
        e.lease["hw-address"],
      ]),
      [
        [1, "committed", 4, a, "02:00:00:00:00:01"],
        [2, "committed", 4, b, "02:00:00:00:00:02"],
      ],
    );
    assert.equal(endpoint.accepted[0]!.lease["subnet-id"], 1);
    assert.equal(endpoint.accepted[0]!.lease["valid-lft"], 600);
    assert.ok(endpoint.requests >= 3, "two failures, then the delivery");
    // The endpoint has the events once it read the request; the library counts them delivered
    // once the answer is back: the status is read until it says so (at most 5 s).
    let status = await server.command("lease-events-status");
    for (let i = 0; i < 100 && (status.arguments as { delivered?: number }).delivered !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await server.command("lease-events-status");
    }
    assert.equal(status.result, 0);
    assert.deepEqual(
      { ...(status.arguments as object), url: undefined },
      { url: undefined, queued: 0, delivered: 2, "failed-posts": 2, dropped: 0, "last-error": "" },
    );
    assert.equal(server.logged("LEASE_EVENTS_POST_FAILED").length, 1, "one warning per outage");
    assert.equal(server.logged("LEASE_EVENTS_RECOVERED").length, 1);
  } finally {
    await server.close();
    await endpoint.close();
  }
});

test("with queue-file, events wait on disk across a restart while the endpoint is down", async () => {
  const queueFile = join(dir, "queue.jsonl");
  const endpoint = await Endpoint.open();
  endpoint.plan = Array(1000).fill(503);
  const params = { url: endpoint.url, "queue-file": queueFile, "retry-ms": 20, "max-retry-ms": 50 };
  const first = await TestServer4.start({
    config: CONFIG4,
    libraries: [{ library: LIBRARY, parameters: params }],
  });
  let a: string;
  try {
    a = await lease(first, "02:00:00:00:00:11");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(endpoint.accepted.length, 0);
  } finally {
    await first.close();
  }
  const onDisk = readFileSync(queueFile, "utf8").trim().split("\n");
  assert.equal(onDisk.length, 1);
  assert.equal((JSON.parse(onDisk[0]!) as Posted).lease["ip-address"], a);

  endpoint.plan = [];
  const second = await TestServer4.start({
    config: CONFIG4,
    libraries: [{ library: LIBRARY, parameters: params }],
  });
  try {
    const b = await lease(second, "02:00:00:00:00:12");
    await endpoint.until(2);
    assert.deepEqual(
      endpoint.accepted.map((e) => [e.seq, e.lease["ip-address"]]),
      [
        [1, a],
        [2, b],
      ],
      "the event from before the restart first, the numbering carried on",
    );
    // The endpoint has the event before the library reads its answer and empties the file.
    const end = Date.now() + 10_000;
    while (readFileSync(queueFile, "utf8") !== "" && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(readFileSync(queueFile, "utf8"), "", "delivered events leave the file");
  } finally {
    await second.close();
    await endpoint.close();
  }
});

test("a reply waits for delivery only with sync: true", async () => {
  const endpoint = await Endpoint.open();
  endpoint.delayMs = 300;
  for (const sync of [false, true]) {
    const server = await TestServer4.start({
      config: CONFIG4,
      libraries: [{ library: LIBRARY, parameters: { url: endpoint.url, sync } }],
    });
    try {
      const mac = sync ? "02:00:00:00:00:22" : "02:00:00:00:00:21";
      const offer = await server.query(discover({ mac, relay }));
      const start = performance.now();
      const ack = await server.query(request({ mac, relay, requested: offer!.yiaddr, serverId }));
      const ms = performance.now() - start;
      assert.equal(ack?.getType(), T.DHCPACK);
      if (sync) assert.ok(ms >= 290, `sync: the ACK came after ${ms.toFixed(0)} ms`);
      else assert.ok(ms < 200, `not sync: the ACK came after ${ms.toFixed(0)} ms`);
    } finally {
      await server.close();
    }
  }
  await endpoint.until(2);
  await endpoint.close();
});

test("released, declined and expired events (v4), committed and released (v6)", async () => {
  const endpoint = await Endpoint.open();
  const clock = new ManualClock();
  const server = await TestServer4.start({
    config: CONFIG4,
    clock,
    libraries: [{ library: LIBRARY, parameters: { url: endpoint.url } }],
  });
  try {
    const a = await lease(server, "02:00:00:00:00:31");
    await server.query(release({ mac: "02:00:00:00:00:31", ciaddr: a, serverId }));
    const b = await lease(server, "02:00:00:00:00:32");
    await server.query(decline({ mac: "02:00:00:00:00:32", requested: b, serverId, relay }));
    const c = await lease(server, "02:00:00:00:00:33");
    clock.advance(601);
    assert.ok((await server.reclaimExpired()) >= 1);
    await endpoint.until(6);
    assert.deepEqual(
      endpoint.accepted.map((e) => [e.event, e.lease["ip-address"]]),
      [
        ["committed", a],
        ["released", a],
        ["committed", b],
        ["declined", b],
        ["committed", c],
        ["expired", c],
      ],
    );
  } finally {
    await server.close();
  }

  const v6 = await TestServer6.start({
    config: {
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          pools: [{ pool: "2001:db8:1::100 - 2001:db8:1::1ff" }],
        },
      ],
    },
    libraries: [{ library: LIBRARY, parameters: { url: endpoint.url } }],
  });
  try {
    const relays = [{ link: "2001:db8:1::1" }];
    await v6.query(solicit({ relays }));
    await v6.query(request6({ relays, serverId: v6.duid }));
    await endpoint.until(7);
    const last = endpoint.accepted.at(-1)!;
    assert.equal(last.family, 6);
    assert.equal(last.event, "committed");
    assert.match(String(last.lease["ip-address"]), /^2001:db8:1::1[0-9a-f]{2}$/);
    assert.equal(last.lease["type"], "IA_NA");
  } finally {
    await v6.close();
    await endpoint.close();
  }
});

test("bad parameters are refused by the schema with the parameter's path and the reason", async () => {
  await assert.rejects(
    TestServer4.start({
      config: CONFIG4,
      libraries: [{ library: LIBRARY, parameters: { url: "ftp://x" } }],
    }),
    /libraries\[0\]\.parameters\.url: must match pattern "\^https\?:\/\/\."/,
  );
  await assert.rejects(
    TestServer4.start({
      config: CONFIG4,
      libraries: [{ library: LIBRARY, parameters: { url: "http://127.0.0.1:9/", "retry-ms": 0 } }],
    }),
    /libraries\[0\]\.parameters\.retry-ms: 0 must be >= 1/,
  );
});

test("loaded without the schema check, load() itself refuses bad parameters by name", () => {
  assert.throws(
    () => parseSettings({ url: "ftp://x" }),
    /parameter 'url' must be an http:\/\/ or https:\/\/ URL/,
  );
  assert.throws(
    () => parseSettings({ url: "http://x/", sync: "yes" }),
    /parameter 'sync' must be true or false/,
  );
  assert.throws(
    () => parseSettings({ url: "http://x/", headers: { a: 1 } }),
    /parameter 'headers' must be a map of strings/,
  );
  const s = parseSettings({ url: "http://x/", "retry-ms": 500, "max-retry-ms": 100 });
  assert.equal(s.maxRetryMs, 500, "the maximum is never below the first delay");
  assert.equal(s.batch, 100);
});
