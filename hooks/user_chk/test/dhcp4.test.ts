/**
 * user_chk in nestor-dhcp4's real query processing (nestor/testing, in process), loaded
 * from the configuration as an operator loads it: registered clients keep the server's subnet and
 * get their boot file and TFTP server; unregistered ones get the restricted subnet (the highest
 * ID) and the default user's values; the outcome file records each lease granted; the registry
 * is edited while the server runs; a library that packed the response first makes user_chk
 * refuse it.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

import { DHCPMessageType as T, DHO, type Pkt4 } from "nestor/dhcp";
import { TestServer4, query4 } from "nestor/testing";

const LIB = fileURLToPath(new URL("../index.ts", import.meta.url));
const SET_STATUS = fileURLToPath(
  new URL("../../../test/fixtures/dhcp4-hooks/set-status.ts", import.meta.url),
);

const REGISTERED = "02:00:00:00:aa:01";
const LATER = "02:00:00:00:aa:02";
const STRANGER = "02:00:00:00:aa:03";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "user-chk-dhcp4-"));
  dirs.push(dir);
  return dir;
}

function entry(mac: string, props: Record<string, string> = {}): string {
  return `${JSON.stringify({ type: "HW_ADDR", id: mac, ...props })}\n`;
}

/** Two subnets: 1 is the privileged one (the server's choice), 2 the restricted one. */
const CONFIG = JSON.stringify({
  Dhcp4: {
    "interfaces-config": { interfaces: [] },
    "lease-database": { type: "memfile", persist: false },
    "valid-lifetime": 4000,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
        "option-data": [{ name: "boot-file-name", data: "configured.efi" }],
      },
      {
        id: 2,
        subnet: "203.0.113.0/24",
        pools: [{ pool: "203.0.113.10 - 203.0.113.20" }],
        "option-data": [{ name: "boot-file-name", data: "restricted.efi" }],
      },
    ],
  },
});

interface Bed {
  registry: string;
  outcome: string;
  server: TestServer4;
}

async function withServer(
  registryText: string,
  libraries: (registry: string, outcome: string) => object[],
  body: (bed: Bed) => Promise<void>,
): Promise<void> {
  const dir = scratch();
  const registry = join(dir, "user_chk_registry.txt");
  const outcome = join(dir, "user_chk_outcome.txt");
  writeFileSync(registry, registryText);
  const server = await TestServer4.start({
    config: CONFIG,
    libraries: libraries(registry, outcome) as never,
    logSeverity: "INFO",
  });
  try {
    await body({ registry, outcome, server });
  } finally {
    await server.close();
  }
}

/** The boot options (66, 67) are asked for too. */
const PRL = [1, 3, 6, 51, 54, 66, 67];

async function dora(bed: Bed, mac: string): Promise<{ offer: Pkt4; ack: Pkt4 }> {
  const o = await bed.server.exchange(query4(T.DHCPDISCOVER, { mac, prl: PRL }));
  assert.ok(o, `no OFFER for ${mac}`);
  const offer = o.pkt as unknown as Pkt4;
  const sid = [...offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()].join(".");
  const a = await bed.server.exchange(
    query4(T.DHCPREQUEST, { mac, prl: PRL, requested: offer.yiaddr, serverId: sid }),
  );
  assert.ok(a, `no ACK for ${mac}`);
  const ack = a.pkt as unknown as Pkt4;
  assert.equal(ack.getType(), T.DHCPACK);
  return { offer, ack };
}

const text = (p: Pkt4, code: number) => p.getOption(code)?.getData().toString();

function record(mac: string, addr: string, registered: boolean): string {
  return `id_type=HW_ADDR\nclient=hwtype=1 ${mac}\naddr=${addr}\nregistered=${registered ? "yes" : "no"}\n\n`;
}

test("registered and unregistered clients: subnet, boot options, outcome file; the registry edited while running", async () => {
  const registryText =
    entry(REGISTERED, { bootfile: "/pxe/registered.efi", tftp_server: "tftp.example.com" }) +
    entry("00000000", { bootfile: "/pxe/walled-garden.efi" });
  await withServer(
    registryText,
    (registry, outcome) => [{ library: LIB, parameters: { registry, outcome } }],
    async (bed) => {
      // Registered: the privileged subnet, the user's boot file (option 67 and file field) and
      // TFTP server (option 66), in the OFFER and in the ACK.
      const known = await dora(bed, REGISTERED);
      for (const p of [known.offer, known.ack]) {
        assert.match(p.yiaddr, /^198\.51\.100\./);
        assert.equal(text(p, 67), "/pxe/registered.efi");
        assert.equal(text(p, 66), "tftp.example.com");
        assert.equal(p.file, "/pxe/registered.efi");
      }

      // Unregistered: the restricted subnet and the default user's boot file.
      const stranger = await dora(bed, STRANGER);
      assert.match(stranger.ack.yiaddr, /^203\.0\.113\./);
      assert.equal(text(stranger.ack, 67), "/pxe/walled-garden.efi");
      assert.equal(text(stranger.ack, 66), undefined);

      // One record per lease granted (the ACKs), in Kea's format.
      assert.equal(
        readFileSync(bed.outcome, "utf8"),
        record(REGISTERED, known.ack.yiaddr, true) + record(STRANGER, stranger.ack.yiaddr, false),
      );

      // The registry edited: LATER registered, the default user gone. The very next packets
      // see it.
      writeFileSync(
        bed.registry,
        entry(REGISTERED, { bootfile: "/pxe/changed.efi" }) +
          entry(LATER, { tftp_server: "198.51.100.69" }),
      );
      const later = await dora(bed, LATER);
      assert.match(later.ack.yiaddr, /^198\.51\.100\./);
      assert.equal(text(later.ack, 66), "198.51.100.69");
      assert.equal(
        text(later.ack, 67),
        "configured.efi",
        "the configured value where the user has none",
      );
      const renewed = await dora(bed, REGISTERED);
      assert.equal(renewed.ack.yiaddr, known.ack.yiaddr);
      assert.equal(text(renewed.ack, 67), "/pxe/changed.efi");
      assert.equal(text(renewed.ack, 66), undefined);
      // Without a default user, an unregistered client gets the configured values.
      const other = await dora(bed, "02:00:00:00:aa:04");
      assert.match(other.ack.yiaddr, /^203\.0\.113\./);
      assert.equal(text(other.ack, 67), "restricted.efi");
      assert.equal(other.ack.file, "");

      // A malformed edit: the previous registry stays (LATER is still registered), logged once.
      appendFileSync(bed.registry, '{"type":"HW_ADDR","id":"02:00:00:00:aa:05"\n');
      const again = await dora(bed, LATER);
      assert.equal(again.ack.yiaddr, later.ack.yiaddr);
      await dora(bed, "02:00:00:00:aa:05");
      const log = bed.server.logLines.join("");
      assert.equal(log.match(/USER_CHK_REGISTRY_INVALID/g)?.length, 1, log);
      assert.match(log, /USER_CHK_REGISTRY_INVALID registry .* not used: line 3: malformed JSON/);

      const records = readFileSync(bed.outcome, "utf8")
        .split("\n\n")
        .filter((r) => r !== "");
      assert.equal(records.length, 7);
      assert.equal(`${records[2]}\n\n`, record(LATER, later.ack.yiaddr, true));
      assert.match(
        records[6]!,
        /client=hwtype=1 02:00:00:00:aa:05\naddr=203\.0\.113\.\d+\nregistered=no/,
      );
    },
  );
});

test("record-offers: the OFFER's lease is recorded too, as Kea records every response but DHCPNAK", async () => {
  await withServer(
    entry(REGISTERED),
    (registry, outcome) => [
      { library: LIB, parameters: { registry, outcome, "record-offers": true } },
    ],
    async (bed) => {
      const { ack } = await dora(bed, REGISTERED);
      assert.equal(
        readFileSync(bed.outcome, "utf8"),
        record(REGISTERED, ack.yiaddr, true).repeat(2),
      );
    },
  );
});

test("a library that packed the response before user_chk (SKIP on pkt4_send): the response is dropped and logged", async () => {
  await withServer(
    entry(REGISTERED, { bootfile: "/pxe/registered.efi" }),
    (registry, outcome) => [
      { library: SET_STATUS, parameters: { hook: "pkt4_send", status: 1, action: "pack-myself" } },
      { library: LIB, parameters: { registry, outcome } },
    ],
    async (bed) => {
      const offer = await bed.server.exchange(query4(T.DHCPDISCOVER, { mac: REGISTERED }));
      assert.equal(offer, null, "the response without the user's options must not be sent");
      const log = bed.server.logLines.join("");
      assert.match(log, /HOOKS_CALLOUT_EXCEPTION .*pkt4_send.*the packet pack already handled/);
      assert.equal(readFileSync(bed.outcome, "utf8"), "");
    },
  );
});

test("a missing registry, an outcome file that cannot be opened or a wrong parameter fails the library's load", async () => {
  const dir = scratch();
  const registry = join(dir, "registry.txt");
  writeFileSync(registry, entry(REGISTERED));
  // A wrong parameter is refused by the parameters' schema, before load() (as -t refuses it).
  await assert.rejects(
    TestServer4.start({
      config: CONFIG,
      libraries: [
        {
          library: LIB,
          parameters: { registry, outcome: join(dir, "o.txt"), "record-offer": true },
        },
      ] as never,
    }),
    /libraries\[0\]\.parameters\.record-offer: unknown parameter "record-offer"/,
  );
  for (const parameters of [
    { registry: join(dir, "absent.txt"), outcome: join(dir, "outcome.txt") },
    { registry, outcome: join(dir, "no-such-dir", "outcome.txt") },
  ]) {
    await assert.rejects(
      TestServer4.start({ config: CONFIG, libraries: [{ library: LIB, parameters }] as never }),
      /user_chk\/index\.ts failed to load: load\(\) returned 1/,
      JSON.stringify(parameters),
    );
  }
  // The same with good parameters loads.
  const bed = await TestServer4.start({
    config: CONFIG,
    libraries: [
      { library: LIB, parameters: { registry, outcome: join(dir, "outcome.txt") } },
    ] as never,
  });
  assert.ok(bed.logLines.some((l) => /USER_CHK_LOADED .*registry\.txt \(1 users\)/.test(l)));
  await bed.close();
});

test("an unregistered client asking for an address another client holds is NAKed: the DHCPNAK is left alone and not recorded", async () => {
  await withServer(
    entry("00000000", { bootfile: "/pxe/walled-garden.efi" }),
    (registry, outcome) => [{ library: LIB, parameters: { registry, outcome } }],
    async (bed) => {
      // Another unregistered client holds an address of the restricted subnet (an address of
      // no pool there, such as a privileged one, gets no answer at all, as from Kea 2.2).
      const { ack } = await dora(bed, "02:00:00:00:77:01");
      const before = readFileSync(bed.outcome, "utf8");
      const r = await bed.server.exchange(
        query4(T.DHCPREQUEST, {
          mac: STRANGER,
          prl: PRL,
          requested: ack.yiaddr,
          serverId: "198.51.100.1",
        }),
      );
      assert.ok(r);
      const nak = r.pkt as unknown as Pkt4;
      assert.equal(nak.getType(), T.DHCPNAK);
      assert.equal(nak.getOption(67), undefined);
      assert.equal(nak.file, "");
      assert.equal(readFileSync(bed.outcome, "utf8"), before);
    },
  );
});
