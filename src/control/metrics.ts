/**
 * `GET /metrics` on the HTTP control sockets: the server's statistics and what Kea cannot show, in
 * the Prometheus text format, through prom-client (its registry, exposition format and Node.js
 * process metrics). Nothing here runs on the packet path: every series is read when scraped from
 * counters the server keeps anyway (the statistics, the callout counters of the hooks framework,
 * the reply pipeline's histograms).
 *
 * Kea's statistic names map to Prometheus names as follows (`N` is 4 or 6):
 * - `pktN-received` -> `kea_dhcpN_pktN_received_total` (a counter: every statistic but those below
 *   only ever grows until a `statistic-reset`), hyphens and dots become underscores;
 * - `total-*`, `assigned-*`, `declined-addresses` and other levels are gauges, without `_total`;
 * - `subnet[1].assigned-addresses` -> `kea_dhcpN_subnet_assigned_addresses{subnet_id="1"}`;
 * - `subnet[1].pool[0].total-addresses` -> `kea_dhcpN_pool_total_addresses{subnet_id="1",pool_id="0"}`
 *   (and `pd_pool` for `pd-pool[i]`);
 * - string statistics are left out (Prometheus values are numbers).
 * Nestor's own series are `nestor_*` (docs/control-channel.md lists them).
 */
import type { Registry } from "prom-client";

type MetricType = "counter" | "gauge" | "histogram";
import type { Histogram } from "../stats/histogram.ts";
import type { ControlledServer } from "./controlled-server.ts";
import { loadPackage } from "../util/load-package.ts";

/** prom-client, loaded on the first scrape: a server nobody scrapes never loads it. */
function promClient(): typeof import("prom-client") {
  return loadPackage<typeof import("prom-client")>("prom-client");
}

interface Value {
  value: number;
  labels?: Record<string, string | number>;
  metricName?: string;
}

/** A metric whose values are computed at scrape time (prom-client's Metric shape). */
class Computed {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator = "sum" as const;
  values: Value[] = [];

  constructor(name: string, help: string, type: MetricType) {
    this.name = name;
    this.help = help;
    this.type = type;
  }

  get(): { name: string; help: string; type: MetricType; values: Value[]; aggregator: "sum" } {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values,
      aggregator: this.aggregator,
    };
  }
}

const GAUGE = /^(total-|assigned-|declined-addresses$|declined-nas$)/;
const SUBNET = /^subnet\[(\d+)\]\.(?:(pool|pd-pool)\[(\d+)\]\.)?(.+)$/;

/** Prometheus name, labels and kind of a Kea statistic name (null when it has no number form). */
export function promName(
  family: number,
  kea: string,
): { name: string; labels: Record<string, string>; counter: boolean } {
  const m = SUBNET.exec(kea);
  const labels: Record<string, string> = {};
  let scope = "";
  let stat = kea;
  if (m !== null) {
    labels["subnet_id"] = m[1]!;
    scope = m[2] === undefined ? "subnet_" : `${m[2].replace("-", "_")}_`;
    if (m[3] !== undefined) labels["pool_id"] = m[3];
    stat = m[4]!;
  }
  const counter = !GAUGE.test(stat);
  const base = `kea_dhcp${family}_${scope}${stat.replace(/[^a-zA-Z0-9]+/g, "_")}`;
  return { name: counter ? `${base}_total` : base, labels, counter };
}

/** The statistic's name with its ids as `id` (one help text for every subnet's series). */
function keaPattern(kea: string): string {
  const m = SUBNET.exec(kea);
  if (m === null) return kea;
  return m[2] === undefined ? `subnet[id].${m[4]}` : `subnet[id].${m[2]}[id].${m[4]}`;
}

function histogramValues(h: Histogram, labels: Record<string, string>, name: string): Value[] {
  const out: Value[] = [];
  let cumulative = 0;
  h.bounds.forEach((le, i) => {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

export class MetricsExporter {
  private readonly server: ControlledServer;
  private readonly family: number;
  private registry: Registry | null = null;
  private readonly computed = new Map<string, Computed>();

  constructor(server: ControlledServer) {
    this.server = server;
    this.family = server.serviceName === "dhcp6" ? 6 : 4;
  }

  get contentType(): string {
    return promClient().Registry.PROMETHEUS_CONTENT_TYPE;
  }

  /** The exposition text, computed now. The registry is made on the first scrape. */
  async scrape(): Promise<string> {
    if (this.registry === null) {
      const { Registry, collectDefaultMetrics } = promClient();
      this.registry = new Registry();
      collectDefaultMetrics({ register: this.registry });
    }
    for (const c of this.computed.values()) c.values = [];
    this.statistics();
    this.callouts();
    this.runtime();
    // A series that has gone (a statistic removed, a subnet reconfigured away) goes from the
    // output too, rather than staying at its last value.
    for (const [name, c] of this.computed) {
      if (c.values.length === 0) {
        this.computed.delete(name);
        this.registry.removeSingleMetric(name);
      }
    }
    return this.registry.metrics();
  }

  private metric(name: string, help: string, type: MetricType): Computed {
    let c = this.computed.get(name);
    if (c === undefined) {
      c = new Computed(name, help, type);
      this.computed.set(name, c);
      this.registry!.registerMetric(c as never);
    }
    return c;
  }

  private statistics(): void {
    const stats = this.server.stats;
    for (const kea of stats.names()) {
      const value = stats.get(kea)?.value;
      if (typeof value !== "number" && typeof value !== "bigint") continue;
      const { name, labels, counter } = promName(this.family, kea);
      const help = `Kea statistic ${keaPattern(kea)}`;
      this.metric(name, help, counter ? "counter" : "gauge").values.push({
        labels,
        value: Number(value),
      });
    }
  }

  private callouts(): void {
    const m = this.server.hooks.calloutMetrics;
    const n = `nestor_dhcp${this.family}_hook_callout`;
    const calls = this.metric(
      `${n}_calls_total`,
      "Callout calls, by library and hook point",
      "counter",
    );
    const errors = this.metric(
      `${n}_errors_total`,
      "Callouts that threw, rejected or returned non-zero, by library and hook point",
      "counter",
    );
    const timeouts = this.metric(
      `${n}_timeouts_total`,
      "Asynchronous callouts abandoned after their time limit, by library and hook point",
      "counter",
    );
    const duration = this.metric(
      `${n}_duration_seconds`,
      "Callout latency in seconds (an asynchronous one until it settles; 1 call in 64 of a synchronous one under 10 us)",
      "histogram",
    );
    for (const c of m.all()) {
      const labels = { library: c.library, hook: c.hook };
      calls.values.push({ labels, value: c.calls });
      errors.values.push({ labels, value: c.errors });
      timeouts.values.push({ labels, value: c.timeouts });
      duration.values.push(...histogramValues(c.latency, labels, duration.name));
    }
  }

  private runtime(): void {
    const r = this.server.runtimeMetrics;
    if (r === undefined) return;
    const n = `nestor_dhcp${this.family}`;
    this.metric(
      `${n}_queries_in_flight`,
      "Queries waiting on an asynchronous callout",
      "gauge",
    ).values.push({ value: r.inFlight });
    this.metric(`${n}_queries_parked`, "Queries parked by a callout", "gauge").values.push({
      value: r.parked,
    });
    const latency = this.metric(
      `${n}_lease_write_duration_seconds`,
      "Lease store writes (one per batch of replies): seconds each took",
      "histogram",
    );
    latency.values.push(...histogramValues(r.leaseWriteLatency, {}, latency.name));
    const batch = this.metric(
      `${n}_lease_write_batch_leases`,
      "Lease store writes: lease changes each carried",
      "histogram",
    );
    batch.values.push(...histogramValues(r.leaseWriteBatch, {}, batch.name));
  }
}
