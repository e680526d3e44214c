/**
 * GET /health, /ready and /metrics while the server is under perfdhcp load, end to end, as root,
 * in network namespaces the test creates:
 *
 *   perf ns [veth 198.18.0.2/16] ---- [veth 198.18.0.1/16] server ns: nestor-dhcp4 on 67/68,
 *     perfdhcp, and a probe asking                           HTTP control socket 198.18.0.1:8004
 *     /health every 20 ms
 *
 * The HTTP socket is on the veth address, so the security policy wants `authentication`: /metrics
 * asks for it, /health and /ready do not. The probe (a small Node.js script run in the perf
 * namespace) times each GET /health from request to complete answer; every one must be 200, and
 * the 95th percentile under 10 ms (the slowest is printed too). perfdhcp must be served as well
 * (the probes do not cost the clients their exchanges), and /metrics afterwards must count them.
 *
 * Needs root, iproute2 and perfdhcp (Debian package kea-admin).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { ServerConfig, startServer } from "./lib/nestor.ts";
import { exchangeStats, perfdhcp4Args, perfdhcpStats } from "./lib/perfdhcp.ts";

const RATE = 1000;
const SECONDS = 6;
const PROBES = 200;

/** Runs in the perf namespace: GETs every 20 ms, prints one JSON line of results at the end. */
const PROBE = `
import { request } from "node:http";
const [url, count, auth] = process.argv.slice(2);
const out = [];
function once(path, headers = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    const req = request(url + path, { headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - start, body }));
    });
    req.on("error", (e) => resolve({ status: 0, ms: performance.now() - start, body: e.message }));
    req.end();
  });
}
await new Promise((r) => setTimeout(r, 1000)); // the load is under way
for (let i = 0; i < Number(count); i++) {
  const r = await once("/health");
  out.push([r.status, r.ms]);
  await new Promise((r) => setTimeout(r, 20));
}
const ready = await once("/ready");
const denied = await once("/metrics");
const metrics = await once("/metrics", { Authorization: "Basic " + Buffer.from(auth).toString("base64") });
console.log(JSON.stringify({ health: out, ready: ready.status, denied: denied.status, metrics: metrics.status, text: metrics.body }));
`;

test(
  "/health answers within 10 ms (95th percentile) under perfdhcp load",
  { timeout: 90_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    const bed = new TestBed("health-under-load");
    try {
      const serverNs = bed.namespace("srv");
      const perfNs = bed.namespace("perf");
      const link = bed.link(
        { ns: serverNs, role: "s", address: "198.18.0.1/16" },
        { ns: perfNs, role: "p", address: "198.18.0.2/16" },
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [link.a],
        subnets: [{ id: 1, subnet: "198.18.0.0/16", pool: "198.18.1.0 - 198.18.245.255" }],
        global: {
          "control-sockets": [
            {
              "socket-type": "http",
              "socket-address": "198.18.0.1",
              "socket-port": 8004,
              authentication: { type: "basic", clients: [{ user: "prom", password: "scrape" }] },
            },
          ],
        },
      });
      await startServer(bed, serverNs, config);
      const probeFile = join(bed.dir, "probe.mjs");
      writeFileSync(probeFile, PROBE);
      const perf = bed.spawn(
        "perfdhcp",
        perfNs,
        "perfdhcp",
        perfdhcp4Args(link.b, { rate: RATE, seconds: SECONDS, clients: 4_294_967_295, seed: 7 }),
      );
      const probe = bed.spawn("probe", perfNs, process.execPath, [
        probeFile,
        "http://198.18.0.1:8004",
        String(PROBES),
        "prom:scrape",
      ]);
      assert.ok(await probe.waitExit(60_000), `the probe did not finish:\n${probe.output}`);
      assert.ok(
        await perf.waitExit((SECONDS + 15) * 1000),
        `perfdhcp did not finish:\n${perf.output}`,
      );
      const result = JSON.parse(probe.output.trim().split("\n").at(-1)!) as {
        health: [number, number][];
        ready: number;
        denied: number;
        metrics: number;
        text: string;
      };
      assert.equal(result.health.length, PROBES);
      assert.ok(
        result.health.every(([status]) => status === 200),
        JSON.stringify(result.health),
      );
      const times = result.health.map(([, ms]) => ms).sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length * 0.5)]!;
      const p95 = times[Math.floor(times.length * 0.95)]!;
      const max = times.at(-1)!;
      process.stdout.write(
        `# /health under ${RATE}/s DORA: p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${max.toFixed(2)} ms\n`,
      );
      assert.ok(p95 < 10, `/health p95 ${p95.toFixed(2)} ms under load`);
      assert.equal(result.ready, 200);
      assert.equal(result.denied, 401);
      assert.equal(result.metrics, 200);

      const requestAck = exchangeStats(perfdhcpStats(perf.output), "REQUEST-ACK", perf.output);
      assert.ok(requestAck.received > RATE * SECONDS * 0.9, perf.output);
      // Scraped again once the load is over: every ACK perfdhcp saw is counted.
      const after = JSON.parse(
        bed
          .exec(perfNs, process.execPath, [probeFile, "http://198.18.0.1:8004", "0", "prom:scrape"])
          .trim(),
      ) as { metrics: number; text: string };
      assert.equal(after.metrics, 200);
      const acks = /^kea_dhcp4_pkt4_ack_sent_total (\d+)$/m.exec(after.text);
      assert.ok(acks !== null, "no kea_dhcp4_pkt4_ack_sent_total in /metrics");
      assert.ok(Number(acks[1]) >= requestAck.received);
    } finally {
      await bed.close();
    }
  },
);
