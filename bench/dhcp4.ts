/**
 * nestor-dhcp4 against Kea 2.2's kea-dhcp4 under perfdhcp -4, as root, in two network namespaces
 * this script creates (prefix n4b) and removes at the end, even on failure:
 *
 *   n4b-cli [n4b-c0 198.19.255.2/24] perfdhcp ---veth--- [n4b-s0 198.19.255.1/24] server n4b-srv
 *
 * Both servers read the very same configuration file: memfile with persist true and lfc-interval
 * 0, the lease file in a temporary directory, no hook libraries, loggers at WARN, one subnet
 * 198.18.0.0/15 chosen by perfdhcp's giaddr with a pool of ~130,000 addresses, and
 * `dhcp-socket-type` "udp" (perfdhcp -4 acts as a relay and is answered by unicast, so neither
 * server needs raw sockets; this keeps the two comparable), or "raw" with --socket-type raw
 * (both servers then read frames through packet sockets and answer with link-layer frames). Kea runs single-threaded (its 2.2
 * default). Nestor runs from dist/ (built first) with its native batched sockets when built.
 *
 * The method (shared with bench/dhcp6.ts, in lib/server-bench.ts): fresh server and empty lease
 * file per step, a quiet machine first, 1 s warm-up; the highest rate with under 1 % loss by
 * doubling then bisection, --repeats rounds alternating servers; CPU seconds per 1,000 completed
 * exchanges (DORA) at a rate both sustain; with --profile (or when Nestor's rate is below Kea's)
 * Nestor's hot functions under `node --cpu-prof`.
 *
 * Above ~10,000 exchanges/s perfdhcp itself saturates a 2-core machine; the machine's busy CPU
 * during each run is printed so that noise from other work shows.
 *
 * With --callouts all and/or --fdatasync, Nestor variants run beside Nestor and Kea in the same
 * rounds, on the same bed: Nestor with a hook library holding one trivial synchronous callout on
 * every DHCPv4 hook point (bench/hooks/callouts-all4.mjs), and Nestor with `lease-database`
 * `"sync": "fdatasync"`; the summary gives each one's figures, its ratio to Kea and to Nestor.
 * --cpu-only skips the highest-rate search: only CPU per 1,000 exchanges at --fixed-rate, which
 * stays meaningful on a machine busy with other work (the highest rate does not).
 *
 *   npm run bench:dhcp4 [-- --seconds 4 --repeats 3 --fixed-rate 4000 --cpu-seconds 10
 *                           --cpu-repeats 5 --nice -10 --profile --no-build --socket-type raw|udp
 *                           --prefix r4b --callouts all --fdatasync --cpu-only]
 *   npm run bench:dhcp4 -- --profile-only [--fixed-rate 4000 --cpu-seconds 10 --profile-out F]
 */
import { main } from "./lib/server-bench.ts";

await main({
  family: 4,
  script: "bench:dhcp4",
  bed: {
    prefix: "n4b",
    serverAddress: "198.19.255.1",
    clientAddress: "198.19.255.2",
    prefixLength: 24,
  },
  nestorCli: "dist/cli/nestor-dhcp4.js",
  kea: { command: "kea-dhcp4", package: "kea-dhcp4-server" },
  leaseFileName: "leases4.csv",
  poolSize: 65_536 * 2 - 256 - 2, // 198.18.0.1 - 198.19.254.254
  config: ({ iface, leaseFile, socketType }) => ({
    Dhcp4: {
      "interfaces-config": { interfaces: [iface], "dhcp-socket-type": socketType },
      "lease-database": { type: "memfile", persist: true, name: leaseFile, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      "renew-timer": 1000,
      "rebind-timer": 2000,
      subnet4: [
        { id: 1, subnet: "198.18.0.0/15", pools: [{ pool: "198.18.0.1 - 198.19.254.254" }] },
      ],
      loggers: [{ name: "kea-dhcp4", severity: "WARN", output_options: [{ output: "stderr" }] }],
    },
  }),
  configSummary: "memfile persist, lfc-interval 0, no hooks, WARN logs",
  defaults: { budgetSeconds: 840, maxRate: 24_000 },
});
