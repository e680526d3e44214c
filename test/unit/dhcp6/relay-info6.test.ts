/**
 * What a DHCPv6 server takes from the relays and the client's addresses: relay-supplied options
 * (RFC 6422, `relay-supplied-options`) and the client's hardware address (`mac-sources`), as
 * Kea 2.2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt6, RelayInfo } from "../../../src/dhcp/pkt6.ts";
import { HWAddrSource, LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import { M, type Server6Bed, config6, exchange6, query6, server6 } from "../../helpers/dhcp6.ts";

const RELAY = "2001:db8:1::1";

/** Option `code` with `hex` data in wire form. */
function wire(code: number, hex: string): Buffer {
  const d = Buffer.from(hex, "hex");
  const out = Buffer.alloc(4 + d.length);
  out.writeUInt16BE(code, 0);
  out.writeUInt16BE(d.length, 2);
  d.copy(out, 4);
  return out;
}

/** A client query wrapped by one relay with `options`, the client's `peer` address. */
function relayed(
  type: number,
  peer: string,
  options: [number, Buffer][],
  o: Parameters<typeof query6>[1] = {},
): Buffer {
  const p = Pkt6.parse(query6(type, o));
  const r = new RelayInfo(M.DHCPV6_RELAY_FORW, 0, RELAY, peer);
  for (const [code, data] of options) r.options.push(new Option(6, code, data));
  p.addRelayInfo(r);
  return p.pack();
}

const ERP = "076578616d706c6503636f6d00"; // example.com.
const SIP = "20010db8000000000000000000000022";
const SNTP = "20010db8000000000000000000000031";
const RSOO: [number, Buffer] = [66, Buffer.concat([wire(31, SNTP), wire(65, ERP), wire(22, SIP)])];

test("options in a relay's RSOO: 65 always and the relay-supplied-options ones are copied, others not", async () => {
  const bed = await server6(config6({ "relay-supplied-options": ["sip-server-addr"] }));
  const r = await exchange6(
    bed,
    relayed(M.DHCPV6_SOLICIT, "fe80::1", [RSOO]),
    RELAY,
    "2001:db8:1::2",
  );
  assert.equal(r!.pkt.getOption(65)?.getData().toString("hex"), ERP);
  assert.equal(r!.pkt.getOption(22)?.getData().toString("hex"), SIP);
  assert.equal(r!.pkt.getOption(31), undefined);
});

test("an RSOO option the server already sends is not copied (RFC 6422 section 6)", async () => {
  const bed = await server6(
    config6(
      { "relay-supplied-options": ["22"] },
      { "option-data": [{ name: "sip-server-addr", data: "2001:db8::99" }] },
    ),
  );
  const asked = await exchange6(
    bed,
    relayed(M.DHCPV6_SOLICIT, "fe80::1", [RSOO], { oro: [22] }),
    RELAY,
    "2001:db8:1::2",
  );
  assert.equal(
    asked!.pkt.getOption(22)?.getData().toString("hex"),
    "20010db8000000000000000000000099",
  );
  assert.equal(asked!.pkt.getOptions().filter((o) => o.getType() === 22).length, 1);
  // Not asked for: the relay's is the only one.
  const other = await exchange6(
    bed,
    relayed(M.DHCPV6_SOLICIT, "fe80::1", [RSOO], { oro: [] }),
    RELAY,
    "2001:db8:1::2",
  );
  assert.equal(other!.pkt.getOption(22)?.getData().toString("hex"), SIP);
});

test("relay-supplied-options naming an option that does not exist is refused", async () => {
  await assert.rejects(
    server6(config6({ "relay-supplied-options": ["no-such-option"] })),
    /relay-supplied-options.*no-such-option|no-such-option/,
  );
});

async function leaseMac(bed: Server6Bed, addr = "2001:db8:1::10"): Promise<[string, number]> {
  const l = bed.leases.getLease6(LeaseType6.IA_NA, addr);
  assert.ok(l !== null, `a lease for ${addr}`);
  return [l.hwaddr?.hwaddr.toString("hex") ?? "", l.hwaddrSource ?? 0];
}

const EN_DUID = Buffer.from("00020000098d0000000a", "hex");
const CLIENT_LL = "fe80::200:5eff:fe00:5364"; // MAC 00:00:5e:00:53:64
const LINK_ADDR: [number, Buffer] = [79, Buffer.from("000100005e0053bb", "hex")];
const REMOTE_ID: [number, Buffer] = [37, Buffer.from("0000118b00005e0053cc", "hex")];
const CMTS: [number, Buffer] = [
  17,
  Buffer.concat([Buffer.from("0000118b", "hex"), wire(1026, "00005e0053dd")]),
];

test("mac-sources any: a direct client's MAC from its EUI-64 link-local address", async () => {
  const bed = await server6(config6());
  await exchange6(bed, query6(M.DHCPV6_REQUEST, { duid: EN_DUID }), CLIENT_LL);
  assert.deepEqual(await leaseMac(bed), ["00005e005364", HWAddrSource.IPV6_LINK_LOCAL]);
});

test("mac-sources any: the relay's client link-layer address option comes before the DUID and the peer address", async () => {
  const bed = await server6(config6());
  const llt = Buffer.from("000100010000000100005e005301", "hex");
  const q = relayed(M.DHCPV6_REQUEST, CLIENT_LL, [LINK_ADDR, REMOTE_ID], { duid: llt });
  await exchange6(bed, q, RELAY, "2001:db8:1::2");
  assert.deepEqual(await leaseMac(bed), ["00005e0053bb", HWAddrSource.CLIENT_ADDR_RELAY_OPTION]);
});

test("mac-sources in the configured order: remote-id, then the CMTS's vendor option", async () => {
  const bed = await server6(config6({ "mac-sources": ["remote-id", "docsis-cmts"] }));
  await exchange6(
    bed,
    relayed(M.DHCPV6_REQUEST, CLIENT_LL, [CMTS, REMOTE_ID]),
    RELAY,
    "2001:db8:1::2",
  );
  assert.deepEqual(await leaseMac(bed), ["00005e0053cc", HWAddrSource.REMOTE_ID]);
  const cmtsFirst = await server6(config6({ "mac-sources": ["docsis-cmts", "remote-id"] }));
  await exchange6(
    cmtsFirst,
    relayed(M.DHCPV6_REQUEST, CLIENT_LL, [CMTS, REMOTE_ID]),
    RELAY,
    "2001:db8:1::2",
  );
  assert.deepEqual(await leaseMac(cmtsFirst), ["00005e0053dd", HWAddrSource.DOCSIS_CMTS]);
});

test("mac-sources duid: a DUID-EN client has no hardware address", async () => {
  const bed = await server6(config6({ "mac-sources": ["duid"] }));
  await exchange6(bed, query6(M.DHCPV6_REQUEST, { duid: EN_DUID }), CLIENT_LL);
  assert.deepEqual(await leaseMac(bed), ["", 0]);
});

test("a hw-address reservation matches the MAC of the client's link-local address", async () => {
  const bed = await server6(
    config6(
      {},
      { reservations: [{ "hw-address": "00:00:5e:00:53:64", "ip-addresses": ["2001:db8:1::99"] }] },
    ),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST, { duid: EN_DUID }), CLIENT_LL);
  assert.ok(r !== null);
  assert.deepEqual(await leaseMac(bed, "2001:db8:1::99"), [
    "00005e005364",
    HWAddrSource.IPV6_LINK_LOCAL,
  ]);
});

test("a RENEW sets the lease's hardware address to what this query gives, none included, as Kea", async () => {
  const bed = await server6(config6({ "mac-sources": ["rfc6939"] }));
  const duid = EN_DUID;
  await exchange6(
    bed,
    relayed(M.DHCPV6_REQUEST, "fe80::1", [LINK_ADDR], { duid }),
    RELAY,
    "2001:db8:1::2",
  );
  assert.deepEqual(await leaseMac(bed), ["00005e0053bb", HWAddrSource.CLIENT_ADDR_RELAY_OPTION]);
  const renew = (options: [number, Buffer][]) =>
    relayed(M.DHCPV6_RENEW, "fe80::1", options, { duid, ias: [{ hints: ["2001:db8:1::10"] }] });
  await exchange6(
    bed,
    renew([[79, Buffer.from("000100005e0053ff", "hex")]]),
    RELAY,
    "2001:db8:1::2",
  );
  assert.deepEqual(await leaseMac(bed), ["00005e0053ff", HWAddrSource.CLIENT_ADDR_RELAY_OPTION]);
  await exchange6(bed, renew([]), RELAY, "2001:db8:1::2");
  assert.deepEqual(await leaseMac(bed), ["", 0]);
});
