/**
 * GET /health, /ready and /metrics on the HTTP control socket (src/control/metrics.ts,
 * http-listener.ts): liveness always, readiness following dhcp-disable, and the Prometheus text
 * read back by a Prometheus text parser, with Kea's statistic names mapped, subnet ids as labels,
 * and a hook library's callout series moving as queries pass through it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import { parsePrometheus, type Sample } from "../../helpers/prometheus.ts";
import { clientQuery } from "../../helpers/relay4.ts";
import { FIXTURES, startBed, type Bed } from "./helpers.ts";

interface Reply {
  status: number;
  type: string;
  body: string;
}

function get(port: number, path: string, auth?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth !== undefined)
      headers["Authorization"] = `Basic ${Buffer.from(auth).toString("base64")}`;
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

async function scrape(bed: Bed, auth?: string): Promise<Sample[]> {
  const r = await get(bed.httpPort, "/metrics", auth);
  assert.equal(r.status, 200, r.body);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(r.body);
}

/** The value of the one sample named `name` whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: object = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)),
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

function typeOf(samples: Sample[], name: string): string {
  const s = samples.find((x) => x.name === name);
  assert.ok(s !== undefined, `no ${name} in /metrics`);
  return s.type;
}

test("/health answers 200; /ready is 503 with the reason while dhcp-disabled", async () => {
  const bed = await startBed();
  try {
    const health = await get(bed.httpPort, "/health");
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: "alive" });
    assert.equal((await get(bed.httpPort, "/ready")).status, 200);

    await bed.channel.processCommand({ command: "dhcp-disable" });
    const down = await get(bed.httpPort, "/ready");
    assert.equal(down.status, 503);
    assert.deepEqual(JSON.parse(down.body), {
      status: "not ready",
      reason: "the service is disabled (dhcp-disable)",
    });
    await bed.channel.processCommand({ command: "dhcp-enable" });
    assert.equal((await get(bed.httpPort, "/ready")).status, 200);
    // Any other GET is still refused as before (commands are POSTed).
    assert.equal((await get(bed.httpPort, "/")).status, 405);
  } finally {
    await bed.close();
  }
});

test("/metrics: Kea's statistics under Prometheus names, callout series moving with queries", async () => {
  const bed = await startBed({
    "hooks-libraries": [{ library: `${FIXTURES}packet-callouts.ts` }],
    "lease-database": { type: "memfile", name: "leases4.csv", "lfc-interval": 0 },
  });
  try {
    const before = await scrape(bed);
    assert.equal(value(before, "kea_dhcp4_subnet_total_addresses", { subnet_id: 1 }), 241);
    // Kea 3's per-pool statistics, labelled with the pool's id.
    const pool = { subnet_id: 1, pool_id: 0 };
    assert.equal(value(before, "kea_dhcp4_pool_total_addresses", pool), 241);
    assert.equal(value(before, "kea_dhcp4_pool_assigned_addresses", pool), 0);
    assert.equal(typeOf(before, "kea_dhcp4_subnet_total_addresses"), "gauge");
    assert.equal(typeOf(before, "kea_dhcp4_pkt4_received_total"), "counter");
    const received = value(before, "kea_dhcp4_pkt4_received_total");
    // Node.js process metrics from prom-client, event-loop lag among them.
    assert.equal(typeOf(before, "nodejs_eventloop_lag_seconds"), "gauge");
    assert.equal(value(before, "nestor_dhcp4_queries_in_flight"), 0);

    const offer = await bed.relay.ask(
      bed.server.port,
      clientQuery(T.DHCPDISCOVER, "02:00:00:00:0b:01"),
    );
    assert.ok(offer !== null);
    const after = await scrape(bed);
    assert.equal(value(after, "kea_dhcp4_pkt4_received_total"), received + 1);
    assert.equal(value(after, "kea_dhcp4_pkt4_offer_sent_total"), 1);

    const library = `${FIXTURES}packet-callouts.ts`;
    const labels = { library, hook: "pkt4_receive" };
    assert.equal(value(after, "nestor_dhcp4_hook_callout_calls_total", labels), 1);
    assert.equal(value(after, "nestor_dhcp4_hook_callout_errors_total", labels), 0);
    const duration = "nestor_dhcp4_hook_callout_duration_seconds";
    assert.equal(typeOf(after, `${duration}_count`), "histogram");
    assert.equal(value(after, `${duration}_count`, labels), 1);
    assert.equal(value(after, `${duration}_bucket`, { ...labels, le: "+Inf" }), 1);
    assert.ok(value(after, `${duration}_sum`, labels) > 0);

    // A REQUEST (SELECTING: the offer's server identifier) commits a lease: one lease write.
    const serverId = [...offer.getOption(54)!.getData()].join(".");
    const ack = await bed.relay.ask(
      bed.server.port,
      clientQuery(T.DHCPREQUEST, "02:00:00:00:0b:01", offer.yiaddr, serverId),
    );
    assert.equal(ack?.getType(), T.DHCPACK);
    const committed = await scrape(bed);
    assert.equal(value(committed, "nestor_dhcp4_hook_callout_calls_total", labels), 2);
    assert.equal(value(committed, "kea_dhcp4_subnet_assigned_addresses", { subnet_id: 1 }), 1);
    assert.ok(value(committed, "nestor_dhcp4_lease_write_batch_leases_count") >= 1);
    assert.ok(value(committed, "nestor_dhcp4_lease_write_duration_seconds_count") >= 1);
  } finally {
    await bed.close();
  }
});

test("/metrics asks for the socket's credentials; /health and /ready never do", async () => {
  const bed = await startBed({
    "control-sockets": [
      {
        "socket-type": "http",
        "socket-address": "127.0.0.1",
        "socket-port": 0,
        authentication: { type: "basic", clients: [{ user: "prom", password: "s3cret" }] },
      },
    ],
  });
  try {
    assert.equal((await get(bed.httpPort, "/metrics")).status, 401);
    assert.equal((await get(bed.httpPort, "/metrics", "prom:wrong")).status, 401);
    const samples = await scrape(bed, "prom:s3cret");
    assert.equal(typeOf(samples, "kea_dhcp4_pkt4_received_total"), "counter");
    assert.equal((await get(bed.httpPort, "/health")).status, 200);
    assert.equal((await get(bed.httpPort, "/ready")).status, 200);
  } finally {
    await bed.close();
  }
});
