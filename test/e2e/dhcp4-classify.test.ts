/**
 * nestor-dhcp4 (the command line program) classifying a real client: busybox udhcpc, which
 * sends its vendor class (option 60, `-V`), on a link in namespaces this test creates.
 *
 *   client ns [veth] ---- [veth 198.51.100.1/24] server ns: nestor-dhcp4
 *
 * The configuration keeps one pool for clients of class "phones" (a test on option 60) and gives
 * them their own DNS server option; the others get the open pool. Checked: the address the
 * client's script was given, the lease file's rows, the option the client saw.
 *
 * Needs root, iproute2 and udhcpc (Debian: udhcpc).
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { requirePrerequisites, TestBed, waitFor } from "./lib/netns.ts";
import { readLeaseRows, ServerConfig, startServer } from "./lib/nestor.ts";

const MAC = "02:00:00:c1:a5:01";

/** Records what udhcpc's script is told: "<event> <ip> <dns>" per line. */
const SCRIPT = `#!/bin/sh
echo "$1 \${ip:-} \${dns:-}" >> "$(dirname "$0")/udhcpc-events.log"
`;

test(
  "udhcpc -V 'Aastra 6757i' gets the phones pool and the phones' DNS server; without it, the open pool",
  { timeout: 90_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "udhcpc", debianPackage: "udhcpc" },
    ]);
    const bed = new TestBed("classification: udhcpc's vendor class picks its pool");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientNs, role: "c", mac: MAC },
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [serverIf],
        subnets: [
          {
            id: 1,
            subnet: "198.51.100.0/24",
            pool: "198.51.100.10 - 198.51.100.12",
            extra: {
              pools: [
                { pool: "198.51.100.10 - 198.51.100.12", "client-class": "phones" },
                { pool: "198.51.100.20 - 198.51.100.30" },
              ],
            },
          },
        ],
        global: {
          "client-classes": [
            {
              name: "phones",
              test: "substring(option[60].hex,0,6) == 'Aastra'",
              "option-data": [{ name: "domain-name-servers", data: "203.0.113.53" }],
            },
          ],
          "option-data": [{ name: "domain-name-servers", data: "198.18.0.53" }],
        },
      });
      const server = await startServer(bed, serverNs, config);
      const script = join(bed.dir, "udhcpc.script");
      writeFileSync(script, SCRIPT);
      chmodSync(script, 0o755);
      const events = join(bed.dir, "udhcpc-events.log");
      const bound = (n: number) =>
        waitFor(
          `udhcpc's lease number ${n}`,
          () => {
            if (!existsSync(events)) return undefined;
            const lines = readFileSync(events, "utf8")
              .split("\n")
              .filter((l) => l.startsWith("bound "));
            return lines[n - 1]?.split(" ");
          },
          30_000,
          () => `${server.output}\n${bed.describe()}`,
        );

      // -q: quit once bound; -R: release the lease on quitting.
      const udhcpc = (vendor: string[]) =>
        bed.spawn("udhcpc", clientNs, "udhcpc", [
          "-f",
          "-q",
          "-R",
          "-i",
          clientIf,
          "-s",
          script,
          "-t",
          "10",
          "-T",
          "1",
          ...vendor,
        ]);

      const phone = udhcpc(["-V", "Aastra 6757i"]);
      const [, phoneIp, phoneDns] = await bound(1);
      assert.match(phoneIp!, /^198\.51\.100\.1[0-2]$/, "a phone gets the phones' pool");
      assert.equal(phoneDns, "203.0.113.53", "and the phones' class option");
      await phone.waitExit(10_000);

      const pc = udhcpc(["-V", "MSFT 5.0"]);
      const [, pcIp, pcDns] = await bound(2);
      assert.match(pcIp!, /^198\.51\.100\.(2\d|30)$/, "another client gets the open pool");
      assert.equal(pcDns, "198.18.0.53");
      await pc.waitExit(10_000);

      const rows = readLeaseRows(config.leaseFile).filter((r) => r.hwaddr === MAC);
      assert.ok(rows.some((r) => r.address === phoneIp && r.validLifetime > 0));
      assert.ok(rows.some((r) => r.address === pcIp && r.validLifetime > 0));
      assert.ok(server.running, `nestor-dhcp4 is still running:\n${server.output}`);
      assert.doesNotMatch(server.output, /\bERROR\b/);
    } finally {
      await bed.close();
    }
  },
);
