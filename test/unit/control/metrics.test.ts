// Kea statistic names to Prometheus names (src/control/metrics.ts): counters with _total, the
// level statistics as gauges, subnet and pool ids as labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { promName } from "../../../src/control/metrics.ts";

test("global statistics: counters get _total, hyphens become underscores", () => {
  assert.deepEqual(promName(4, "pkt4-received"), {
    name: "kea_dhcp4_pkt4_received_total",
    labels: {},
    counter: true,
  });
  assert.deepEqual(promName(6, "v6-allocation-fail-subnet"), {
    name: "kea_dhcp6_v6_allocation_fail_subnet_total",
    labels: {},
    counter: true,
  });
  assert.equal(promName(4, "declined-addresses").name, "kea_dhcp4_declined_addresses");
  assert.equal(promName(4, "reclaimed-declined-addresses").counter, true);
});

test("subnet and pool statistics: ids as labels, levels as gauges", () => {
  assert.deepEqual(promName(4, "subnet[12].assigned-addresses"), {
    name: "kea_dhcp4_subnet_assigned_addresses",
    labels: { subnet_id: "12" },
    counter: false,
  });
  assert.deepEqual(promName(4, "subnet[1].cumulative-assigned-addresses"), {
    name: "kea_dhcp4_subnet_cumulative_assigned_addresses_total",
    labels: { subnet_id: "1" },
    counter: true,
  });
  assert.deepEqual(promName(6, "subnet[3].pool[0].total-nas"), {
    name: "kea_dhcp6_pool_total_nas",
    labels: { subnet_id: "3", pool_id: "0" },
    counter: false,
  });
  assert.deepEqual(promName(6, "subnet[3].pd-pool[1].assigned-pds"), {
    name: "kea_dhcp6_pd_pool_assigned_pds",
    labels: { subnet_id: "3", pool_id: "1" },
    counter: false,
  });
});
