/**
 * user_chk in a real nestor-dhcp6 (in process, real packets), loaded from the configuration:
 * registered DUIDs keep the server's subnet and get their boot-file-url and DOCSIS values;
 * unregistered ones get the restricted subnet (the highest ID) and the default user's values;
 * the outcome file records each address and prefix granted; the registry is edited while the
 * server runs; a library that packed the response first makes user_chk refuse it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

import { D6O, DHCPv6MessageType as M, type OptionVendor, type Pkt6 } from "nestor/dhcp";
import { DEFAULT_DUID, TestServer6, iasOf, leasesIn, query6 } from "nestor/testing";

const LIB = fileURLToPath(new URL("../index.ts", import.meta.url));
const SET_STATUS = fileURLToPath(
  new URL("../../../test/fixtures/dhcp6-hooks/set-status.ts", import.meta.url),
);

/** The kit's default client DUID: the registered client, in the registry's colon form. */
const CLIENT_DUID = Buffer.from(DEFAULT_DUID, "hex");
const REGISTERED = DEFAULT_DUID.replace(/(..)(?!$)/g, "$1:");
const STRANGER = Buffer.from("00030001020000000b01", "hex");
const STRANGER_TEXT = "00:03:00:01:02:00:00:00:0b:01";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function entry(id: string, props: Record<string, string> = {}): string {
  return `${JSON.stringify({ type: "DUID", id, ...props })}\n`;
}

const CONFIG = JSON.stringify({
  Dhcp6: {
    "interfaces-config": { interfaces: [] },
    "lease-database": { type: "memfile", persist: false },
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    subnet6: [
      {
        // The privileged subnet: the server selects it for clients on eth0.
        id: 1,
        subnet: "2001:db8:1::/64",
        interface: "eth0",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
        "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 }],
        "option-data": [
          { name: "bootfile-url", data: "tftp://[2001:db8:1::1]/default.efi" },
          { name: "vendor-opts", data: "4491" },
          { space: "vendor-4491", name: "config-file", data: "configured.cfg" },
        ],
      },
      {
        // The restricted subnet: the highest ID.
        id: 2,
        subnet: "2001:db8:2::/64",
        pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::12" }],
        "pd-pools": [{ prefix: "2001:db8:9::", "prefix-len": 56, "delegated-len": 60 }],
        "option-data": [{ name: "bootfile-url", data: "tftp://[2001:db8:2::1]/restricted.efi" }],
      },
    ],
  },
});

interface Bed {
  registry: string;
  outcome: string;
  server: TestServer6;
}

async function withServer(
  registryText: string,
  libraries: (registry: string, outcome: string) => object[],
  body: (bed: Bed) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "user-chk-dhcp6-"));
  dirs.push(dir);
  const registry = join(dir, "user_chk_registry.txt");
  const outcome = join(dir, "user_chk_outcome.txt");
  writeFileSync(registry, registryText);
  const server = await TestServer6.start({
    config: CONFIG,
    libraries: libraries(registry, outcome) as never,
  });
  try {
    await body({ registry, outcome, server });
  } finally {
    await server.close();
  }
}

const ORO = [23, 59, 17];

/** SOLICIT then REQUEST for an address and a prefix; returns both responses. */
async function exchange(
  bed: Bed,
  duid: Buffer,
): Promise<{ advertise: Pkt6; reply: Pkt6; leases: string[] }> {
  const ias = [{ iaid: 1 }, { iaid: 2, pd: true }];
  const adv = await bed.server.exchange(query6(M.DHCPV6_SOLICIT, { duid, oro: ORO, ias }));
  assert.ok(adv, "no ADVERTISE");
  const offered = iasOf(adv.pkt).map((ia) => leasesIn(ia));
  const rep = await bed.server.exchange(
    query6(M.DHCPV6_REQUEST, {
      duid,
      oro: ORO,
      ias: [
        { iaid: 1, hints: offered[0] },
        { iaid: 2, pd: true, hints: offered[1] },
      ],
    }),
  );
  assert.ok(rep, "no REPLY");
  const leases = iasOf(rep.pkt).flatMap((ia) => leasesIn(ia));
  return {
    advertise: adv.pkt as unknown as Pkt6,
    reply: rep.pkt as unknown as Pkt6,
    leases,
  };
}

const url = (p: Pkt6) => p.getOption(59)?.getData().toString();
function docsis(p: Pkt6): OptionVendor | undefined {
  return p.getOption(D6O.VENDOR_OPTS) as OptionVendor | undefined;
}

function record(duid: string, addr: string, registered: boolean): string {
  return `id_type=DUID\nclient=${duid}\naddr=${addr}\nregistered=${registered ? "yes" : "no"}\n\n`;
}

test("registered and unregistered DUIDs: subnet, boot-file-url, DOCSIS values, one outcome record per lease; the registry edited while running", async () => {
  await withServer(
    entry(REGISTERED, { bootfile: "cm/registered.cfg", tftp_server: "2001:db8::69" }) +
      entry("00000000", { bootfile: "walled-garden.efi" }),
    (registry, outcome) => [{ library: LIB, parameters: { registry, outcome } }],
    async (bed) => {
      const known = await exchange(bed, CLIENT_DUID);
      assert.equal(known.leases.length, 2);
      assert.match(known.leases[0]!, /^2001:db8:1::/);
      assert.match(known.leases[1]!, /^2001:db8:8:.*\/60$/);
      for (const p of [known.advertise, known.reply]) {
        assert.equal(url(p), "tftp://[2001:db8::69]/cm/registered.cfg");
        assert.equal(docsis(p)?.getOption(33)?.getData().toString(), "cm/registered.cfg");
        assert.equal(
          docsis(p)?.getOption(32)?.getData().toString("hex"),
          "20010db8" + "0".repeat(22) + "69",
        );
      }

      const stranger = await exchange(bed, STRANGER);
      assert.match(stranger.leases[0]!, /^2001:db8:2::/);
      assert.match(stranger.leases[1]!, /^2001:db8:9:.*\/60$/);
      // The default user's boot file on the restricted subnet's configured server.
      assert.equal(url(stranger.reply), "tftp://[2001:db8:2::1]/walled-garden.efi");

      // One record per lease of each REPLY (not the ADVERTISE), in Kea's format.
      assert.equal(
        readFileSync(bed.outcome, "utf8"),
        record(REGISTERED, known.leases[0]!, true) +
          record(REGISTERED, known.leases[1]!, true) +
          record(STRANGER_TEXT, stranger.leases[0]!, false) +
          record(STRANGER_TEXT, stranger.leases[1]!, false),
      );

      // Registered while the server runs (the id written without colons, uppercase): the very
      // next SOLICIT gets the privileged subnet; the user has no properties and there is no
      // default user any more, so the configured boot-file-url stays.
      writeFileSync(bed.registry, entry(STRANGER.toString("hex").toUpperCase()));
      const adv = await bed.server.exchange(query6(M.DHCPV6_SOLICIT, { duid: STRANGER, oro: ORO }));
      assert.ok(adv);
      assert.match(leasesIn(iasOf(adv.pkt)[0]!)[0]!, /^2001:db8:1::/);
      assert.equal(url(adv.pkt as unknown as Pkt6), "tftp://[2001:db8:1::1]/default.efi");
      // The first client, no longer in the registry: the restricted subnet.
      const gone = await bed.server.exchange(query6(M.DHCPV6_SOLICIT, { oro: ORO }));
      assert.match(leasesIn(iasOf(gone!.pkt)[0]!)[0]!, /^2001:db8:2::/);
    },
  );
});

test("an INFORMATION-REQUEST gets the user's boot-file-url and no outcome record (no lease)", async () => {
  await withServer(
    entry(REGISTERED, { bootfile: "stateless.efi" }),
    (registry, outcome) => [{ library: LIB, parameters: { registry, outcome } }],
    async (bed) => {
      const r = await bed.server.exchange(
        query6(M.DHCPV6_INFORMATION_REQUEST, { oro: ORO, ias: [] }),
      );
      assert.ok(r);
      assert.equal(r.pkt.getType(), M.DHCPV6_REPLY);
      assert.equal(url(r.pkt as unknown as Pkt6), "tftp://[2001:db8:1::1]/stateless.efi");
      assert.equal(readFileSync(bed.outcome, "utf8"), "");
    },
  );
});

test("record-offers: the ADVERTISE's leases are recorded too", async () => {
  await withServer(
    entry(REGISTERED),
    (registry, outcome) => [
      { library: LIB, parameters: { registry, outcome, "record-offers": true } },
    ],
    async (bed) => {
      const { leases } = await exchange(bed, CLIENT_DUID);
      const once = record(REGISTERED, leases[0]!, true) + record(REGISTERED, leases[1]!, true);
      assert.equal(readFileSync(bed.outcome, "utf8"), once + once);
    },
  );
});

test("a library that packed the response before user_chk (SKIP on pkt6_send): the response is dropped and logged", async () => {
  await withServer(
    entry(REGISTERED, { bootfile: "x.efi" }),
    (registry, outcome) => [
      { library: SET_STATUS, parameters: { hook: "pkt6_send", status: 1, action: "pack-myself" } },
      { library: LIB, parameters: { registry, outcome } },
    ],
    async (bed) => {
      const r = await bed.server.exchange(query6(M.DHCPV6_SOLICIT, { oro: ORO }));
      assert.equal(r, null, "the response without the user's options must not be sent");
      assert.match(
        bed.server.logLines.join(""),
        /HOOKS_CALLOUT_EXCEPTION .*pkt6_send.*the packet pack already handled/,
      );
    },
  );
});
