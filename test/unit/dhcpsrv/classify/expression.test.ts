// The class test expressions: the examples of Kea's ARM (classification chapter) evaluate as Kea
// documents them, and what Nestor does not implement is refused where it starts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getStdOptionDefs } from "../../../../src/dhcp/index.ts";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { Option } from "../../../../src/dhcp/option.ts";
import { OptionVendor } from "../../../../src/dhcp/option-vendor.ts";
import { Pkt4 } from "../../../../src/dhcp/pkt4.ts";
import { Pkt6, RelayInfo } from "../../../../src/dhcp/pkt6.ts";
import {
  compileExpression,
  ExpressionError,
  substring,
} from "../../../../src/dhcpsrv/classify/expression.ts";

const defs = getStdOptionDefs();

function pkt4(): Pkt4 {
  const p = Pkt4.create(1, 0x01020304);
  p.setHWAddr(HWAddr.fromText("00:01:02:03:04:05"));
  p.giaddr = "198.51.100.254";
  p.addOption(new Option(4, 60, Buffer.from("Aastra 6757i")));
  p.addOption(new Option(4, 12, Buffer.from("printer")));
  const rai = new Option(4, 82);
  rai.addOption(new Option(4, 1, Buffer.from("eth0/1")));
  p.addOption(rai);
  return p;
}

const eval4 = (src: string, p: Pkt4 = pkt4()): boolean =>
  compileExpression(src, { universe: 4, defs }).evaluate(p);

function refusal(src: string, universe: 4 | 6 = 4, known?: (n: string) => boolean) {
  try {
    compileExpression(src, { universe, defs, classKnown: known });
  } catch (e) {
    assert.ok(e instanceof ExpressionError);
    return e;
  }
  assert.fail(`"${src}" was accepted`);
}

describe("later Kea's lcase, ucase and match (Kea's ARM examples)", () => {
  const cases: [string, boolean][] = [
    ["lcase('LoWeR') == 'lower'", true],
    ["ucase('uPpEr') == 'UPPER'", true],
    ["lcase(option[60].text) == 'aastra 6757i'", true],
    ["ucase(substring(option[60].hex, 0, 6)) == 'AASTRA'", true],
    ["lcase(0xC4D6) == 0xC4D6", true],
    ["lcase(option[61].hex) == ''", true],
    ["match('foo.*', lcase('FooBar'))", true],
    ["match('.*foo.*', 'is it foo or bar')", true],
    ["match('^.*foo.*$', 'is it foo or bar')", true],
    ["match('foo', 'foobar')", false],
    ["match('Aastra [0-9]+i', option[60].text)", true],
    ["match('aastra.*', option[60].text)", false],
    ["not match('x', '') and match('', '')", true],
    ["match('(?:ab|cd)\\d', 'cd7')", true],
  ];
  for (const [src, want] of cases) {
    test(`${src} is ${want}`, () => assert.equal(eval4(src), want));
  }
});

describe("Kea's documented examples, DHCPv4", () => {
  const cases: [string, boolean][] = [
    ["substring(option[60].hex,0,6) == 'Aastra'", true],
    ["option[vendor-class-identifier].text == 'Aastra 6757i'", true],
    ["option[12].text == 'printer'", true],
    ["option[host-name].hex == 0x7072696e746572", true],
    ["option[60].exists and not option[61].exists", true],
    ["option[61].hex == ''", true],
    ["pkt4.mac == 0x000102030405", true],
    ["hexstring(pkt4.mac, ':') == '00:01:02:03:04:05'", true],
    ["pkt4.hlen == 6 and pkt4.htype == 1", true],
    ["pkt4.msgtype == 1", true],
    ["pkt4.msgtype == 0x00000001", true],
    ["pkt4.transid == 0x01020304", true],
    ["pkt4.giaddr == 198.51.100.254", true],
    ["pkt4.ciaddr == 0.0.0.0", true],
    ["relay4[1].hex == 'eth0/1'", true],
    ["relay4[1].exists and not relay4[2].exists", true],
    ["relay4[2].hex == ''", true],
    ["concat('foo', 'bar') == 'foobar'", true],
    ["'foo' + 'bar' == 'foobar'", true],
    ["ifelse(option[60].exists, 'yes', 'no') == 'yes'", true],
    ["ifelse(option[100].exists, 'yes', 'no') == 'yes'", false],
    ["0x1 == 0x01", true],
    ["not (pkt4.msgtype == 3 or pkt4.msgtype == 4)", true],
    ["pkt4.msgtype == 3 or pkt4.msgtype == 1 and pkt4.hlen == 6", true],
    ["not pkt4.msgtype == 1 and pkt4.hlen == 6", false],
    ["pkt.iface == 'eth0'", true],
    ["option[82].option[1].hex == 'eth0/1'", true],
    ["option[82].option[2].exists", false],
    ["split(option[60].hex, ' ', 1) == 'Aastra'", true],
    ["split(option[60].hex, ' ', 2) == '6757i'", true],
    ["split(option[60].hex, ' ', 3) == ''", true],
    ["split('a,b;c', ',;', 3) == 'c'", true],
    ["split('abc', '', 7) == 'abc'", true],
    ["addrtotext(pkt4.giaddr) == '198.51.100.254'", true],
    ["addrtotext(0x20010db8000000000000000000000001) == '2001:db8::1'", true],
    ["int8totext(0xff) == '-1' and uint8totext(0xff) == '255'", true],
    ["int16totext(0xfffe) == '-2' and uint16totext(0x0102) == '258'", true],
    ["int32totext(0xffffffff) == '-1' and uint32totext(pkt4.transid) == '16909060'", true],
    ["uint8totext('') == ''", true],
    ["('foo' + 'bar') == 'foobar'", true],
    ["(pkt4.msgtype) == 1 and (('a') == 'a')", true],
  ];
  for (const [src, want] of cases) {
    test(`${src} is ${want}`, () => {
      const p = pkt4();
      p.iface = "eth0";
      assert.equal(eval4(src, p), want);
    });
  }

  test("a conversion of a value of the wrong size is an evaluation error, as Kea's EvalTypeError", () => {
    const c = compileExpression("uint16totext(pkt4.mac) == '1'", { universe: 4, defs });
    assert.throws(() => c.evaluate(pkt4()), /Can not convert to valid uint16/);
  });

  test("member() sees the classes the packet is in when evaluated", () => {
    const c = compileExpression("member('BOOTP') and not member('DROP')", { universe: 4, defs });
    const p = pkt4();
    assert.equal(c.evaluate(p), false);
    p.addClass("BOOTP");
    assert.equal(c.evaluate(p), true);
    assert.deepEqual(c.members, ["BOOTP", "DROP"]);
  });
});

describe("substring, as Kea's ARM describes it", () => {
  const foobar = Buffer.from("foobar");
  const cases: [number, number | "all", string][] = [
    [0, 3, "foo"],
    [3, "all", "bar"],
    [1, 4, "ooba"],
    [-1, "all", "r"],
    [-1, -3, "oba"],
    [4, -2, "ob"],
    [10, 2, ""],
    [0, 10, "foobar"],
    [2, -5, "fo"],
  ];
  for (const [start, len, want] of cases) {
    test(`substring('foobar', ${start}, ${len}) == '${want}'`, () => {
      assert.equal(substring(foobar, start, len).toString(), want);
      assert.equal(eval4(`substring('foobar', ${start}, ${len}) == '${want}'`), true);
    });
  }
});

describe("DHCPv6", () => {
  function pkt6(): Pkt6 {
    const p = Pkt6.create(3, 0x00abcd);
    const relay = new RelayInfo(12, 0, "2001:db8:1::1", "fe80::1");
    relay.options.push(new Option(6, 37, Buffer.from("remote-id")));
    p.addRelayInfo(relay);
    return p;
  }
  const eval6 = (src: string) => compileExpression(src, { universe: 6, defs }).evaluate(pkt6());

  test("pkt6 fields are 4-byte integers", () => {
    assert.equal(eval6("pkt6.msgtype == 3 and pkt6.transid == 0x0000abcd"), true);
    // Values compare as bytes: three bytes are not the four of the field.
    assert.equal(eval6("pkt6.transid == 0x00abcd"), false);
  });

  test("relay6[0] is the relay closest to the server; a negative level counts from the client", () => {
    assert.equal(eval6("relay6[0].option[37].hex == 'remote-id'"), true);
    assert.equal(eval6("relay6[-1].option[37].exists"), true);
    assert.equal(eval6("relay6[1].option[37].exists"), false);
  });

  test("relay6[L].linkaddr and .peeraddr; a missing relay gives the empty string", () => {
    assert.equal(eval6("relay6[0].linkaddr == 2001:db8:1::1"), true);
    assert.equal(eval6("relay6[-1].peeraddr == fe80::1"), true);
    assert.equal(eval6("relay6[1].linkaddr == ''"), true);
  });
});

describe("refusals, with where and why", () => {
  test("the test must be a boolean (Kea: expecting ==)", () => {
    const e = refusal("option[60].hex");
    assert.match(e.message, /unexpected end of expression, expecting "==" or "\+"/);
    assert.equal(e.offset, 14);
  });

  test("member() of a class neither built in nor defined before", () => {
    const known = (n: string) => n === "ALL" || n === "early";
    const e = refusal("member('early') and member('later')", 4, known);
    assert.equal(e.message, "Not defined client class 'later'");
    assert.equal(e.offset, 27);
  });

  test("v6 names in a v4 test and the other way round", () => {
    assert.equal(refusal("pkt6.msgtype == 1").message, "pkt6 can only be used in DHCPv6.");
    assert.equal(refusal("relay4[1].exists", 6).message, "relay4 can only be used in DHCPv4.");
  });

  test("option names where Kea takes codes only", () => {
    assert.match(refusal("relay4[circuit-id].exists").message, /expecting an integer/);
    assert.match(refusal("relay6[0].option[remote-id].exists", 6).message, /expecting an integer/);
  });

  test("an invalid regular expression in match() is a syntax error where it is written", () => {
    const e = refusal("option[60].exists and match('(ab', option[60].text)");
    assert.match(e.message, /^invalid regular expression '\(ab'/);
    assert.equal(e.offset, 28);
    assert.match(refusal("match(option[60].text, 'a')").message, /expecting a constant string/);
    assert.match(refusal("lcase('A')").message, /expecting "==" or "\+"/);
  });

  test("syntax errors", () => {
    assert.match(refusal("option[60].hex = 'x'").message, /"=" is not an operator/);
    assert.match(refusal("option[60].hex == 'x").message, /unterminated string/);
    assert.match(refusal("option[300].exists").message, /Allowed range: 0\.\.255/);
    assert.match(refusal("option[no-such-option].exists").message, /is not defined/);
    assert.match(refusal("substring('ab', 0, 'all') == 'a'").message, /expecting all or integer/);
    assert.match(refusal("").message, /empty/);
  });
});

describe("vendor options (Kea's vendor[] and vendor-class[])", () => {
  /** Through the wire, so that options 124/125 (v4) or 16/17 (v6) are parsed as a server sees them. */
  function wire4(): Pkt4 {
    const p = Pkt4.create(1, 1);
    p.setHWAddr(HWAddr.fromText("00:01:02:03:04:05"));
    const vivso = OptionVendor.create(4, 4491);
    vivso.addOption(new Option(4, 1, Buffer.from("cm-config")));
    p.addOption(vivso);
    // 124 as Kea reads it: enterprise 4491, then blocks of a one-byte length and data, the
    // enterprise number again before each block after the first.
    const vivco = Buffer.concat([
      Buffer.from([0, 0, 0x11, 0x8b, 9]),
      Buffer.from("docsis3.0"),
      Buffer.from([0, 0, 0x11, 0x8b, 10]),
      Buffer.from("eRouter1.0"),
    ]);
    p.addOption(new Option(4, 124, vivco));
    return Pkt4.parse(p.pack());
  }

  const cases: [string, boolean][] = [
    ["vendor[4491].exists", true],
    ["vendor[*].exists", true],
    ["vendor[9].exists", false],
    ["vendor.enterprise == 4491", true],
    ["vendor[4491].option[1].hex == 'cm-config'", true],
    ["vendor[4491].option[2].exists", false],
    ["vendor[9].option[1].hex == ''", true],
    ["vendor-class[4491].exists and vendor-class.enterprise == 4491", true],
    ["vendor-class[4491].data == 'docsis3.0'", true],
    ["vendor-class[*].data[1] == 'eRouter1.0'", true],
    ["vendor-class[4491].data[2] == ''", true],
    ["vendor-class[9].data == ''", true],
  ];
  for (const [src, want] of cases) {
    test(`v4: ${src} is ${want}`, () => {
      assert.equal(compileExpression(src, { universe: 4, defs }).evaluate(wire4()), want);
    });
  }

  test("v6: option 17 sub-options and option 16 tuples", () => {
    const p = Pkt6.create(1, 1);
    const opts = OptionVendor.create(6, 4491);
    opts.addOption(new Option(6, 32, Buffer.from("tftp")));
    p.addOption(opts);
    const t = Buffer.from("docsis3.0");
    const vc = Buffer.concat([Buffer.from([0, 0, 0x11, 0x8b, 0, t.length]), t]);
    p.addOption(new Option(6, 16, vc));
    const q = Pkt6.parse(p.pack());
    const ev = (src: string) => compileExpression(src, { universe: 6, defs }).evaluate(q);
    assert.equal(ev("vendor[4491].option[32].hex == 'tftp'"), true);
    assert.equal(ev("vendor-class[4491].data == 'docsis3.0'"), true);
    assert.equal(ev("vendor-class[4491].data[1] == ''"), true);
    assert.equal(ev("vendor.enterprise == 4491 and not vendor[1].exists"), true);
  });
});
