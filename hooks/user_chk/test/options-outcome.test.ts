/**
 * What the library writes: outcome records in Kea's exact format, the DHCPv4 boot options and
 * file field, the DHCPv6 boot-file-url and DOCSIS sub-options, and the leases read from a
 * DHCPv6 reply; and the parameters it accepts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import {
  DHCPMessageType,
  DHCPv6MessageType,
  D6O,
  Option,
  Option6IA,
  Option6IAAddr,
  Option6IAPrefix,
  Option6StatusCode,
  OptionVendor,
  Pkt4,
  Pkt6,
} from "nestor/dhcp";
import {
  apply4,
  apply6,
  bootFileUrl,
  grantedLeases6,
  grantsLease4,
  D6O_BOOTFILE_URL,
} from "../options.ts";
import { ErrorThrottle } from "../callouts.ts";
import { OutcomeWriter, formatOutcome } from "../outcome.ts";
import { DEFAULT_OUTCOME, DEFAULT_REGISTRY, parseSettings } from "../params.ts";
import { User, UserId, HW_ADDR, DUID_TYPE } from "../user.ts";

const dir = mkdtempSync(join(tmpdir(), "user-chk-outcome-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function user(props: Record<string, string>, type: "HW_ADDR" | "DUID" = HW_ADDR): User {
  return new User(UserId.fromText(type, "0c0e0a01ff04"), new Map(Object.entries(props)));
}

describe("outcome file", () => {
  test("records are Kea's name=value lines with a blank line after each, appended", () => {
    const file = join(dir, "outcome.txt");
    const w1 = OutcomeWriter.open(file);
    w1.write({
      idType: "HW_ADDR",
      client: "hwtype=1 0c:0e:0a:01:ff:04",
      addr: "198.51.100.10",
      registered: true,
    });
    w1.close();
    // A second load appends, as Kea's std::fstream::app.
    const w2 = OutcomeWriter.open(file);
    w2.write({
      idType: "DUID",
      client: "00:01:00:01:19:ef:e6:3b:00:0c:01:02:03:04",
      addr: "2001:db8:2::1:0:0/96",
      registered: false,
    });
    // Written through at once: visible before close.
    assert.equal(
      readFileSync(file, "utf8"),
      "id_type=HW_ADDR\nclient=hwtype=1 0c:0e:0a:01:ff:04\naddr=198.51.100.10\nregistered=yes\n\n" +
        "id_type=DUID\nclient=00:01:00:01:19:ef:e6:3b:00:0c:01:02:03:04\naddr=2001:db8:2::1:0:0/96\nregistered=no\n\n",
    );
    w2.close();
    assert.equal(
      formatOutcome({ idType: "DUID", client: "x", addr: "y", registered: false }),
      "id_type=DUID\nclient=x\naddr=y\nregistered=no\n\n",
    );
  });

  test("an outcome file that cannot be opened is an error", () => {
    assert.throws(() => OutcomeWriter.open(join(dir, "no-such-dir", "outcome.txt")), /ENOENT/);
  });
});

describe("DHCPv4 options", () => {
  function ack(): Pkt4 {
    const p = Pkt4.create(DHCPMessageType.DHCPACK, 1);
    p.yiaddr = "198.51.100.10";
    p.addOption(new Option(4, 67, Buffer.from("configured.efi")));
    p.addOption(new Option(4, 3, Buffer.from([198, 51, 100, 1])));
    return p;
  }

  test("bootfile replaces option 67 and fills the file field; tftp_server sets option 66", () => {
    const p = ack();
    apply4(p, user({ bootfile: "/boot/pxe.0", tftp_server: "tftp.example.com" }));
    const wire = Pkt4.parse(p.pack());
    assert.equal(wire.getOptions(67).length, 1);
    assert.equal(wire.getOption(67)?.getData().toString(), "/boot/pxe.0");
    assert.equal(wire.getOption(66)?.getData().toString(), "tftp.example.com");
    assert.equal(wire.file, "/boot/pxe.0");
    assert.deepEqual([...wire.getOption(3)!.getData()], [198, 51, 100, 1]);
  });

  test("a user without the properties, or no user, leaves the configured values", () => {
    for (const u of [user({ owner: "x" }), null]) {
      const p = ack();
      assert.deepEqual(apply4(p, u).changes, []);
      const wire = Pkt4.parse(p.pack());
      assert.equal(wire.getOption(67)?.getData().toString(), "configured.efi");
      assert.equal(wire.getOption(66), undefined);
      assert.equal(wire.file, "");
    }
  });

  test("a boot file longer than the file field goes in option 67 only, with a warning", () => {
    const p = ack();
    const long = `/${"x".repeat(140)}`;
    const applied = apply4(p, user({ bootfile: long }));
    assert.equal(applied.warnings.length, 1);
    const wire = Pkt4.parse(p.pack());
    assert.equal(wire.getOption(67)?.getData().toString(), long);
    assert.equal(wire.file, "");
  });

  test("leases granted: DHCPACK with an address; DHCPOFFER only when asked; not INFORM's ACK", () => {
    const a = ack();
    assert.equal(grantsLease4(a, false), true);
    const offer = Pkt4.create(DHCPMessageType.DHCPOFFER, 1);
    offer.yiaddr = "198.51.100.10";
    assert.equal(grantsLease4(offer, false), false);
    assert.equal(grantsLease4(offer, true), true);
    const inform = Pkt4.create(DHCPMessageType.DHCPACK, 1);
    assert.equal(grantsLease4(inform, true), false);
  });
});

describe("DHCPv6 options", () => {
  test("boot-file-url from bootfile and tftp_server", () => {
    assert.equal(
      bootFileUrl(null, "/boot/x.efi", "2001:db8::69"),
      "tftp://[2001:db8::69]/boot/x.efi",
    );
    assert.equal(bootFileUrl(null, "x.efi", "tftp.example.com"), "tftp://tftp.example.com/x.efi");
    // A URL is used as it is.
    assert.equal(
      bootFileUrl(null, "http://boot.example.com/x.efi", "ignored"),
      "http://boot.example.com/x.efi",
    );
    // A missing part comes from the configured URL.
    const configured = "tftp://[2001:db8::1]/default.efi";
    assert.equal(bootFileUrl(configured, "user.efi", ""), "tftp://[2001:db8::1]/user.efi");
    assert.equal(
      bootFileUrl(configured, "", "tftp.example.com"),
      "tftp://tftp.example.com/default.efi",
    );
    assert.equal(
      bootFileUrl("http://web.example.com/a/b.efi", "c.efi", ""),
      "http://web.example.com/c.efi",
    );
    // Not enough to make a URL: unchanged.
    assert.equal(bootFileUrl(null, "user.efi", ""), null);
    assert.equal(bootFileUrl(null, "", "tftp.example.com"), null);
    assert.equal(bootFileUrl(configured, "", ""), null);
  });

  function reply(): Pkt6 {
    const p = Pkt6.create(DHCPv6MessageType.DHCPV6_REPLY, 1);
    const vendor = OptionVendor.create(6, 4491);
    vendor.addOption(new Option(6, 33, Buffer.from("configured.cfg")));
    p.addOption(vendor);
    p.addOption(new Option(6, D6O_BOOTFILE_URL, Buffer.from("tftp://[2001:db8::1]/default.efi")));
    return p;
  }

  test("bootfile and tftp_server set option 59 and the DOCSIS sub-options 33 and 32", () => {
    const p = reply();
    apply6(p, user({ bootfile: "cm.cfg", tftp_server: "2001:db8::69" }, DUID_TYPE));
    const wire = Pkt6.parse(p.pack());
    assert.equal(wire.getOption(59)?.getData().toString(), "tftp://[2001:db8::69]/cm.cfg");
    const v = wire.getOption(D6O.VENDOR_OPTS) as OptionVendor;
    assert.equal(v.getVendorId(), 4491);
    assert.equal(v.getOptions(33).length, 1);
    assert.equal(v.getOption(33)?.getData().toString(), "cm.cfg");
    assert.equal(v.getOption(32)?.getData().toString("hex"), "20010db8000000000000000000000069");
  });

  test("a TFTP server name is not put in DOCSIS sub-option 32 (a list of IPv6 addresses)", () => {
    const p = reply();
    const applied = apply6(p, user({ tftp_server: "tftp.example.com" }, DUID_TYPE));
    assert.equal(applied.warnings.length, 1);
    const wire = Pkt6.parse(p.pack());
    assert.equal(wire.getOption(59)?.getData().toString(), "tftp://tftp.example.com/default.efi");
    assert.equal((wire.getOption(D6O.VENDOR_OPTS) as OptionVendor).getOption(32), undefined);
  });

  test("without a vendor option only option 59 is set; no user: nothing changes", () => {
    const p = Pkt6.create(DHCPv6MessageType.DHCPV6_REPLY, 1);
    apply6(p, user({ bootfile: "x.efi", tftp_server: "2001:db8::69" }, DUID_TYPE));
    assert.deepEqual(
      Pkt6.parse(p.pack())
        .getOptions()
        .map((o) => o.getType()),
      [59],
    );
    const q = reply();
    const before = q.pack().toString("hex");
    apply6(q, null);
    assert.equal(q.pack().toString("hex"), before);
  });

  test("leases granted: addresses and prefixes with a lifetime, not failed IAs", () => {
    const p = Pkt6.create(DHCPv6MessageType.DHCPV6_REPLY, 1);
    const na = Option6IA.create(3, 1, 1000, 2000);
    na.addOption(Option6IAAddr.create("2001:db8:1::10", 3000, 4000));
    na.addOption(Option6IAAddr.create("2001:db8:1::99", 0, 0));
    const pd = Option6IA.create(25, 2, 1000, 2000);
    pd.addOption(Option6IAPrefix.create("2001:db8:8::", 60, 3000, 4000));
    const failed = Option6IA.create(3, 3, 0, 0);
    failed.addOption(Option6StatusCode.create(2, "NoAddrsAvail"));
    p.addOption(na);
    p.addOption(pd);
    p.addOption(failed);
    assert.deepEqual(grantedLeases6(Pkt6.parse(p.pack())), ["2001:db8:1::10", "2001:db8:8::/60"]);
  });
});

describe("parameters", () => {
  test("defaults are Kea's hard-coded paths", () => {
    const s = parseSettings(undefined);
    assert.equal(s.registry, DEFAULT_REGISTRY);
    assert.equal(s.outcome, DEFAULT_OUTCOME);
    assert.equal(DEFAULT_REGISTRY, "/usr/local/share/kea/user_chk_registry.txt");
    assert.equal(DEFAULT_OUTCOME, "/usr/local/share/kea/user_chk_outcome.txt");
    assert.equal(s.postgresql, null);
    assert.equal(s.recordOffers, false);
  });

  test("PostgreSQL settings with their defaults", () => {
    const s = parseSettings({ postgresql: { connection: "postgresql:///registry" } });
    assert.deepEqual(s.postgresql, {
      connection: "postgresql:///registry",
      table: "user_chk_registry",
      typeColumn: "type",
      idColumn: "id",
      timeoutMs: 2000,
      maxConnections: 4,
    });
    assert.equal(s.onError, "drop");
  });

  test("mistakes are refused with the parameter named", () => {
    const bad: [Record<string, never> | object, RegExp][] = [
      [{ registy: "/x" }, /unknown parameter 'registy'/],
      [{ registry: "" }, /'registry' must be a non-empty string/],
      [{ registry: "/x", postgresql: { connection: "x" } }, /exclude each other/],
      [{ postgresql: {} }, /'postgresql.connection'/],
      [{ postgresql: { connection: "x", "timeout-ms": 60_000 } }, /'postgresql.timeout-ms'/],
      [{ postgresql: { connection: "x", tabel: "t" } }, /unknown parameter 'postgresql.tabel'/],
      [{ "record-offers": "yes" }, /'record-offers'/],
      [{ postgresql: { connection: "x" }, "on-error": "ignore" }, /'on-error'/],
      [{ "on-error": "drop" }, /applies to the 'postgresql' registry only/],
    ];
    for (const [params, reason] of bad) {
      assert.throws(() => parseSettings(params as never), reason, JSON.stringify(params));
    }
  });
});

describe("database error logging", () => {
  test("the first failure is logged, then at most one per interval with the number left out", () => {
    let now = 0;
    const t = new ErrorThrottle(10_000, () => now);
    assert.deepEqual(t.take(), { log: true, suppressed: 0 });
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      assert.equal(t.take().log, false);
    }
    now = 10_000;
    assert.deepEqual(t.take(), { log: true, suppressed: 5 });
    now = 10_001;
    assert.equal(t.take().log, false);
  });
});
