/**
 * Client names as Kea 2.2 handles them with DNS updates off (src/dhcpsrv/processing/client-name.ts); the
 * expected values are what kea-dhcp4 / kea-dhcp6 2.2 answered in test/e2e/client-name*-kea.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  ClientNameParams,
  answerData,
  fqdnOption,
  hostnameOption4,
  parseFqdn4,
  parseFqdn6,
  parseTextName,
  posixToRegExp,
  setGenerated,
} from "../../../../src/dhcpsrv/processing/client-name.ts";

const suffix = new ClientNameParams({ "ddns-qualifying-suffix": "example.org" });
const b = (s: string) => Buffer.from(s, "latin1");
const wire = (...labels: string[]) =>
  Buffer.concat(labels.map((l) => Buffer.concat([Buffer.of(l.length), b(l)])));

describe("option 12", () => {
  test("a single label is sanitised, lower-cased and qualified without a trailing dot", () => {
    assert.equal(hostnameOption4(b("Laptop"), "", suffix)?.hostname, "laptop.example.org");
    assert.equal(hostnameOption4(b("bad_name!x"), "", suffix)?.hostname, "badnamex.example.org");
    assert.equal(hostnameOption4(b("trail."), "", suffix)?.hostname, "trail.example.org");
    assert.equal(
      hostnameOption4(b(" spaced name "), "", suffix)?.hostname,
      "spacedname.example.org",
    );
  });

  test("a name of several labels is kept as sent (its trailing dot too), lower-cased", () => {
    assert.equal(hostnameOption4(b("web.Example.com"), "", suffix)?.hostname, "web.example.com");
    assert.equal(hostnameOption4(b("web.example.com."), "", suffix)?.hostname, "web.example.com.");
  });

  test("'.' asks for a generated name; blanks and invalid names are no name at all", () => {
    const n = hostnameOption4(b("."), "", suffix)!;
    assert.equal(n.hostname, "");
    setGenerated(n, suffix.generate("198.51.100.14", false));
    assert.equal(answerData(n, true).toString(), "myhost-198-51-100-14.example.org");
    assert.equal(hostnameOption4(b("  "), "", suffix), null);
    assert.equal(hostnameOption4(b("a..b"), "", suffix), null);
    assert.equal(hostnameOption4(undefined, "", suffix), null);
  });

  test("a reservation's hostname wins, qualified and lower-cased, asked for or not", () => {
    assert.equal(
      hostnameOption4(undefined, "Reserved-Host", suffix)?.hostname,
      "reserved-host.example.org",
    );
    assert.equal(
      hostnameOption4(b("mine"), "fixed.example.net", suffix)?.hostname,
      "fixed.example.net.example.org",
    );
  });

  test("replace modes: when-not-present and always generate for a client without a name", () => {
    const wnp = new ClientNameParams({ "ddns-replace-client-name": "when-not-present" });
    const always = new ClientNameParams({ "ddns-replace-client-name": "always" });
    const wp = new ClientNameParams({ "ddns-replace-client-name": "when-present" });
    assert.equal(hostnameOption4(undefined, "", wnp)?.hostname, "");
    assert.equal(hostnameOption4(b("named"), "", wnp)?.hostname, "named");
    assert.equal(hostnameOption4(b("named"), "", always)?.hostname, "");
    assert.equal(hostnameOption4(undefined, "", wp), null);
    assert.equal(hostnameOption4(b("named"), "", wp)?.hostname, "");
  });

  test("option 12 is sanitised before it is lower-cased; POSIX classes in the character set", () => {
    const p = new ClientNameParams({
      "hostname-char-set": "[^a-z.-]",
      "hostname-char-replacement": "x",
      "ddns-qualifying-suffix": "lan.",
    });
    assert.equal(hostnameOption4(b("Named_1"), "", p)?.hostname, "xamedxx.lan");
    assert.equal(hostnameOption4(b("Ab_c.Dom9"), "", p)?.hostname, "xbxc.xomx");
    const posix = new ClientNameParams({
      "hostname-char-set": "[^[:alnum:]-]",
      "hostname-char-replacement": "_",
    });
    assert.equal(hostnameOption4(b("a.b!c"), "", posix)?.hostname, "a_b_c");
    assert.throws(() => posixToRegExp("[a-"));
  });
});

describe("option 81 and option 39", () => {
  test("flags: N set, S clear, O when the client asked for S, E and RCODEs carried", () => {
    const q = parseFqdn4(
      Buffer.concat([Buffer.of(0x05, 0xff, 0xff), wire("wire", "example", "com"), Buffer.of(0)]),
    )!;
    const n = fqdnOption(false, q, "", suffix)!;
    assert.equal(n.hostname, "wire.example.com.");
    assert.equal(
      answerData(n, false).toString("hex"),
      "0effff" + "0477697265076578616d706c6503636f6d00",
    );
    const o = fqdnOption(false, parseFqdn4(b("\x02\0\0o_flag"))!, "", suffix)!;
    assert.equal(answerData(o, true).toString("latin1"), "\x08\0\0oflag.example.org.");
  });

  test("a partial name is qualified with a trailing dot; an empty one asks for a generated name", () => {
    const p = fqdnOption(false, parseFqdn4(b("\x00\0\0Host81"))!, "", suffix)!;
    assert.equal(p.hostname, "host81.example.org.");
    const e = fqdnOption(false, parseFqdn4(b("\x08\0\0"))!, "", suffix)!;
    assert.equal(e.hostname, "");
    setGenerated(e, suffix.generate("198.51.100.23", true));
    assert.equal(e.hostname, "myhost-198-51-100-23.example.org.");
  });

  test("names are lower-cased before sanitising, label by label", () => {
    const p = new ClientNameParams({
      "hostname-char-set": "[^a-z.]",
      "hostname-char-replacement": "x",
    });
    const q = parseFqdn6(Buffer.concat([Buffer.of(0x01), wire("x", "Y_2", "org"), Buffer.of(0)]))!;
    const n = fqdnOption(true, q, "", p)!;
    assert.equal(n.hostname, "x.yxx.org.");
    assert.equal(answerData(n, false).toString("hex"), "06" + "017803797878036f726700");
  });

  test("what Kea cannot read: N and S together, truncated, a label past the end", () => {
    assert.equal(parseFqdn4(b("\x09\0\0ns")), null);
    assert.equal(parseFqdn4(b("\0\0")), null);
    assert.equal(parseFqdn4(b("\x04\0\0\x05ab")), null);
    assert.equal(parseFqdn4(b("\0\0\0a..b")), null);
    assert.equal(parseFqdn6(b("\x05\x02ns")), null);
    assert.equal(parseFqdn6(b("\0\x09ab")), null);
  });

  test("a reservation's hostname is qualified and sent as a full name", () => {
    const q = parseFqdn6(Buffer.concat([Buffer.of(0x01), wire("mine")]))!;
    const n = fqdnOption(true, q, "fixed.example.net", suffix)!;
    assert.equal(n.hostname, "fixed.example.net.example.org.");
  });

  test("text names: escapes, the root, length limits", () => {
    assert.deepEqual(parseTextName("we\\.ird"), { labels: ["we.ird"], full: false });
    assert.deepEqual(parseTextName("."), { labels: [], full: true });
    assert.equal(parseTextName("x".repeat(64)), null);
  });
});

test("generated names: the prefix, the address with dashes, the suffix (v4 and v6)", () => {
  const p = new ClientNameParams({
    "ddns-generated-prefix": "gen6",
    "ddns-qualifying-suffix": "lan",
  });
  assert.equal(p.generate("2001:db8:1::13", true), "gen6-2001-db8-1--13.lan.");
  assert.equal(p.generate("198.51.100.10", false), "gen6-198-51-100-10.lan");
  assert.equal(ClientNameParams.DEFAULT.generate("198.51.100.10", false), "myhost-198-51-100-10");
});
