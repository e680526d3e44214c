/**
 * nestor-dhcp6 against Kea 2.2's kea-dhcp6 under perfdhcp -6, as root, in two network namespaces
 * this script creates (prefix n6b) and removes at the end, even on failure or a signal:
 *
 *   n6b-cli [n6b-c0 2001:db8:1::2/64, fe80::] perfdhcp ---veth--- [n6b-s0 2001:db8:1::1/64] n6b-srv
 *
 * perfdhcp -6 plays directly connected clients: SOLICIT from its link-local address to ff02::1:2
 * on the link, the server ADVERTISEs to that link-local address, then REQUEST-REPLY (the 4-way
 * exchange; no rapid commit). Duplicate address detection is off in both namespaces so that the
 * servers can bind their link-local address at once.
 *
 * Both servers read the very same configuration file: memfile with persist true and lfc-interval
 * 0, the lease file in a temporary directory, `server-id` (LLT) with persist false (nothing is
 * written to Kea's data directory), no hook libraries, loggers at WARN, one subnet
 * 2001:db8:1::/64 on the server's interface with a pool of ~4.3e9 addresses. Kea runs
 * single-threaded (its 2.2 default) with its pid and lock files in the temporary directory. Nestor
 * runs from dist/ (built first) with its native batched sockets when built.
 *
 * The method is bench:dhcp4's (lib/server-bench.ts): fresh server and empty lease file per step,
 * a quiet machine first, 1 s warm-up; the highest rate with under 1 % of SOLICITs without a REPLY
 * by doubling then bisection, --repeats rounds alternating servers; CPU seconds per 1,000
 * completed exchanges (SARR) at a rate both sustain (--fixed-rate, lower if one cannot); with
 * --profile (or when Nestor's rate is below Kea's) Nestor's hot functions under `node --cpu-prof`.
 * The default budget keeps a run near 10 minutes on a 2-core machine (later rounds are skipped
 * once it is spent).
 *
 * --callouts all and --fdatasync add Nestor variants as in bench:dhcp4 (the library is
 * bench/hooks/callouts-all6.mjs).
 *
 *   npm run bench:dhcp6 [-- --seconds 4 --repeats 3 --fixed-rate 4000 --cpu-seconds 10
 *                           --cpu-repeats 5 --nice -10 --profile --no-build --budget 600 --prefix p6b
 *                           --callouts all --fdatasync --cpu-only]
 *   npm run bench:dhcp6 -- --profile-only [--fixed-rate 4000 --cpu-seconds 10 --profile-out F]
 */
import { main } from "./lib/server-bench.ts";

await main({
  family: 6,
  script: "bench:dhcp6",
  bed: {
    prefix: "n6b",
    serverAddress: "2001:db8:1::1",
    clientAddress: "2001:db8:1::2",
    prefixLength: 64,
  },
  nestorCli: "dist/cli/nestor-dhcp6.js",
  kea: { command: "kea-dhcp6", package: "kea-dhcp6-server" },
  leaseFileName: "leases6.csv",
  poolSize: 2 ** 32 - 2 ** 16, // 2001:db8:1::1:0 - 2001:db8:1::ffff:ffff
  config: ({ iface, leaseFile }) => ({
    Dhcp6: {
      "interfaces-config": { interfaces: [iface] },
      "lease-database": { type: "memfile", persist: true, name: leaseFile, "lfc-interval": 0 },
      "server-id": { type: "LLT", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "renew-timer": 1000,
      "rebind-timer": 2000,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: iface,
          pools: [{ pool: "2001:db8:1::1:0 - 2001:db8:1::ffff:ffff" }],
        },
      ],
      loggers: [{ name: "kea-dhcp6", severity: "WARN", output_options: [{ output: "stderr" }] }],
    },
  }),
  configSummary:
    "memfile persist, lfc-interval 0, server-id not persisted, no hooks, WARN logs, /64 subnet on the link",
  defaults: { budgetSeconds: 600, maxRate: 24_000 },
});
