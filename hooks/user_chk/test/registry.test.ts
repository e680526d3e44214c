/**
 * The registry: entries as Kea's user_chk reads them (ids with or without ':', properties kept,
 * malformed lines refused), and the file source that keeps it current with one stat per packet.
 */
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { FileRegistrySource, RACY_MS } from "../file-source.ts";
import { RegistryError, UserRegistry } from "../registry.ts";
import { DUID_TYPE, HW_ADDR, UserEntryError, UserId, parseUserEntry } from "../user.ts";
import type { Log } from "../messages.ts";

const dir = mkdtempSync(join(tmpdir(), "user-chk-registry-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A logger that keeps "<severity> <id> <args>" lines. */
function captureLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const put =
    (sev: string) =>
    (id: string, ...args: unknown[]) =>
      lines.push(`${sev} ${id} ${args.join(" | ")}`);
  return {
    lines,
    error: put("ERROR"),
    warn: put("WARN"),
    info: put("INFO"),
    debug: (_level: number, id: string, ...args: unknown[]) =>
      lines.push(`DEBUG ${id} ${args.join(" | ")}`),
  };
}

const KEA_SAMPLE = [
  '{ "type" : "HW_ADDR", "id" : "0c:0e:0a:01:ff:04", "bootfile" : "/usr/local/share/kea/v4bootfile" }',
  '{ "type" : "HW_ADDR", "id" : "0c:0e:0a:01:ff:06", "tftp_server" : "tftp.v4.example.com" }',
  '{ "type" : "DUID", "id" : "00:01:00:01:19:ef:e6:3b:00:0c:01:02:03:04", "bootfile" : "/usr/local/share/kea/v6bootfile" }',
  '{ "type" : "DUID", "id" : "00:01:00:01:19:ef:e6:3b:00:0c:01:02:03:06", "tftp_server" : "tftp.v6.example.com" }',
].join("\n");

describe("registry entries", () => {
  test("Kea's sample registry: four users with their boot file or TFTP server", () => {
    const reg = UserRegistry.parse(KEA_SAMPLE + "\n");
    assert.equal(reg.size, 4);
    const pc = reg.find(UserId.fromText(HW_ADDR, "0c:0e:0a:01:ff:04"));
    assert.equal(pc?.getProperty("bootfile"), "/usr/local/share/kea/v4bootfile");
    assert.equal(pc?.getProperty("tftp_server"), "");
    const v6 = reg.find(UserId.fromText(DUID_TYPE, "00:01:00:01:19:ef:e6:3b:00:0c:01:02:03:06"));
    assert.equal(v6?.getProperty("tftp_server"), "tftp.v6.example.com");
    // The same bytes as the other type are another user.
    assert.equal(reg.find(UserId.fromText(DUID_TYPE, "0c:0e:0a:01:ff:04")), null);
  });

  test("an id matches with or without colons and in either case", () => {
    const reg = UserRegistry.parse('{"type":"HW_ADDR","id":"0C0E0A01FF04"}');
    assert.notEqual(reg.find(UserId.fromText(HW_ADDR, "0c:0e:0a:01:ff:04")), null);
    assert.notEqual(reg.find(UserId.of(HW_ADDR, Buffer.from("0c0e0a01ff04", "hex"))), null);
    assert.equal(reg.find(UserId.fromText(HW_ADDR, "0c:0e:0a:01:ff:05")), null);
  });

  test("attributes other than type and id are kept as properties", () => {
    const user = parseUserEntry(
      '{"type":"DUID","id":"000300010c0e0a01ff04","bootfile":"a.efi","vlan":"42","owner":"room 12"}',
    );
    assert.deepEqual(
      [...user.properties],
      [
        ["bootfile", "a.efi"],
        ["vlan", "42"],
        ["owner", "room 12"],
      ],
    );
  });

  test("malformed entries are refused with the reason", () => {
    const bad: [string, RegExp][] = [
      ['{"type":"HW_ADDR","id":"0c:0e:0a:01:ff:04"', /malformed JSON/],
      ['["HW_ADDR","0c0e0a01ff04"]', /not a JSON object/],
      ['{"id":"0c0e0a01ff04"}', /no 'type'/],
      ['{"type":"MAC","id":"0c0e0a01ff04"}', /invalid type 'MAC'/],
      ['{"type":"HW_ADDR"}', /no 'id'/],
      ['{"type":"HW_ADDR","id":""}', /blank/],
      ['{"type":"HW_ADDR","id":"0c:0e:0a:01:ff:0"}', /two per byte/],
      ['{"type":"HW_ADDR","id":"zz:0e"}', /not hex/],
      ['{"type":"HW_ADDR","id":"0c0e0a01ff04","vlan":42}', /'vlan' does not have a string value/],
      ['{"type":"DUID","id":"0001"}', /invalid DUID id/],
      [`{"type":"HW_ADDR","id":"${"00".repeat(21)}"}`, /invalid HW_ADDR id/],
    ];
    for (const [line, reason] of bad) {
      assert.throws(
        () => parseUserEntry(line),
        (err: Error) => {
          assert.ok(err instanceof UserEntryError, line);
          assert.match(err.message, reason, line);
          return true;
        },
      );
    }
  });

  test("a malformed line or a duplicate fails the whole registry, naming the line", () => {
    assert.throws(
      () => UserRegistry.parse(`${KEA_SAMPLE}\n{"type":"HW_ADDR","id":"0c0e0a01ff04"}\n`),
      (err: Error) =>
        err instanceof RegistryError && err.line === 5 && /duplicate/.test(err.message),
    );
    assert.throws(
      () => UserRegistry.parse(`{"type":"HW_ADDR","id":"0c0e0a01ff04"}\n\nnot json\n`),
      (err: Error) => err instanceof RegistryError && err.line === 3,
    );
  });

  test("blank lines and CRLF line ends are accepted", () => {
    const reg = UserRegistry.parse(
      '\r\n{"type":"HW_ADDR","id":"0c0e0a01ff04"}\r\n\r\n  \n{"type":"DUID","id":"00030001aabbccddeeff"}\r\n',
    );
    assert.equal(reg.size, 2);
  });

  test("the default user 00000000 is found with the client, per id type", () => {
    const reg = UserRegistry.parse(
      '{"type":"HW_ADDR","id":"00000000","bootfile":"walled.efi"}\n{"type":"HW_ADDR","id":"0c0e0a01ff04"}',
    );
    const known = reg.lookup(UserId.fromText(HW_ADDR, "0c0e0a01ff04"));
    assert.notEqual(known.user, null);
    assert.equal(known.defaultUser?.getProperty("bootfile"), "walled.efi");
    const unknown = reg.lookup(UserId.fromText(HW_ADDR, "0c0e0a01ff05"));
    assert.equal(unknown.user, null);
    assert.equal(unknown.defaultUser?.getProperty("bootfile"), "walled.efi");
    assert.equal(reg.lookup(UserId.fromText(DUID_TYPE, "00030001aabbccddeeff")).defaultUser, null);
  });
});

describe("the registry file", () => {
  const mac = (m: string) => UserId.fromText(HW_ADDR, m);
  const line = (m: string, bootfile: string) =>
    `{"type":"HW_ADDR","id":"${m}","bootfile":"${bootfile}"}\n`;

  test("a missing or malformed file cannot be opened (the library's load fails)", () => {
    assert.throws(() => FileRegistrySource.open(join(dir, "absent.txt"), captureLog()), /ENOENT/);
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, line("0c0e0a01ff04", "a") + "{oops}\n");
    assert.throws(() => FileRegistrySource.open(bad, captureLog()), /line 2/);
  });

  test("a change is seen by the very next lookup, and an unchanged file is not read again", () => {
    const file = join(dir, "changes.txt");
    writeFileSync(file, line("0c0e0a01ff04", "one.efi"));
    // An old modification time: the file is not "racy", so stat alone decides.
    utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const log = captureLog();
    const src = FileRegistrySource.open(file, log);
    const reads = src.reads;
    for (let i = 0; i < 100; i++) src.lookup(mac("0c0e0a01ff04"));
    assert.equal(src.reads, reads, "100 lookups of an unchanged file read it no more");

    // Same size, new content.
    writeFileSync(file, line("0c0e0a01ff04", "two.efi"));
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "two.efi");

    writeFileSync(file, line("0c0e0a01ff04", "two.efi") + line("0c0e0a01ff05", "new.efi"));
    assert.equal(src.lookup(mac("0c0e0a01ff05")).user?.getProperty("bootfile"), "new.efi");

    // Replaced by rename (what editors and `mv` do): a new inode.
    const tmp = join(dir, "changes.tmp");
    writeFileSync(tmp, line("0c0e0a01ff05", "renamed.efi"));
    renameSync(tmp, file);
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user, null);
    assert.equal(src.lookup(mac("0c0e0a01ff05")).user?.getProperty("bootfile"), "renamed.efi");
    assert.ok(log.lines.some((l) => l.startsWith("INFO USER_CHK_REGISTRY_RELOADED")));
  });

  test("a same-size rewrite within the timestamp granularity is still seen (racy rule)", () => {
    const file = join(dir, "racy.txt");
    const fixed = new Date(Date.now() - 500);
    writeFileSync(file, line("0c0e0a01ff04", "aaa.efi"));
    utimesSync(file, fixed, fixed);
    let now = Date.now();
    const src = FileRegistrySource.open(file, captureLog(), () => now);
    // Rewritten with the same size and, as a coarse clock could leave it, the same mtime.
    writeFileSync(file, line("0c0e0a01ff04", "bbb.efi"));
    utimesSync(file, fixed, fixed);
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "bbb.efi");
    // Once the version is older than RACY_MS, stat alone decides again.
    now = fixed.getTime() + RACY_MS + 1_000;
    src.lookup(mac("0c0e0a01ff04"));
    const reads = src.reads;
    src.lookup(mac("0c0e0a01ff04"));
    assert.equal(src.reads, reads);
  });

  test("a malformed version keeps the previous registry, is logged once, and a fix is taken", () => {
    const file = join(dir, "malformed.txt");
    writeFileSync(file, line("0c0e0a01ff04", "good.efi"));
    const log = captureLog();
    const src = FileRegistrySource.open(file, log);
    writeFileSync(
      file,
      line("0c0e0a01ff04", "good.efi") + '{"type":"HW_ADDR","id":"0c0e0a01ff05",\n',
    );
    for (let i = 0; i < 5; i++) {
      assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "good.efi");
      assert.equal(src.lookup(mac("0c0e0a01ff05")).user, null);
    }
    const errors = log.lines.filter((l) => l.startsWith("ERROR"));
    assert.equal(errors.length, 1, log.lines.join("\n"));
    assert.match(
      errors[0]!,
      /USER_CHK_REGISTRY_INVALID .*malformed\.txt \| line 2: malformed JSON/,
    );
    assert.equal(src.failed, true);

    // Another problem is logged too: the file removed.
    rmSync(file);
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "good.efi");
    assert.equal(log.lines.filter((l) => l.includes("USER_CHK_REGISTRY_UNREADABLE")).length, 1);

    writeFileSync(file, line("0c0e0a01ff05", "fixed.efi"));
    assert.equal(src.lookup(mac("0c0e0a01ff05")).user?.getProperty("bootfile"), "fixed.efi");
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user, null);
    assert.equal(src.failed, false);
  });

  test("a registry file that disappears keeps the previous registry until it is back", () => {
    const file = join(dir, "vanishing.txt");
    writeFileSync(file, line("0c0e0a01ff04", "kept.efi"));
    const log = captureLog();
    const src = FileRegistrySource.open(file, log);
    rmSync(file);
    for (let i = 0; i < 3; i++) {
      assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "kept.efi");
    }
    assert.equal(log.lines.filter((l) => l.includes("USER_CHK_REGISTRY_UNREADABLE")).length, 1);
    writeFileSync(file, line("0c0e0a01ff04", "kept.efi"));
    assert.equal(src.lookup(mac("0c0e0a01ff04")).user?.getProperty("bootfile"), "kept.efi");
    assert.equal(src.failed, false);
  });
});
