/**
 * What an expression reads from a packet: the fixed fields (pkt.*, pkt4.*, pkt6.*,
 * relay6[L].peeraddr/linkaddr), options, relay and vendor options, and how an option is shown.
 */
import type { Pkt } from "../../../dhcp/pkt.ts";
import type { Pkt4 } from "../../../dhcp/pkt4.ts";
import type { Pkt6, RelayInfo } from "../../../dhcp/pkt6.ts";
import type { Option } from "../../../dhcp/option.ts";
import { ipv6FromString, tryParseIPv4 } from "../../../dhcp/ioaddress.ts";
import { tupleDataLength } from "../../../dhcp/option-data-types.ts";
import { EMPTY, FALSE_, TRUE_, uint32, type BoolFn, type StringFn } from "./builtins.ts";

export const PKT4_FIELDS = [
  "mac",
  "hlen",
  "htype",
  "ciaddr",
  "giaddr",
  "yiaddr",
  "siaddr",
  "msgtype",
  "transid",
] as const;
export const PKT6_FIELDS = ["msgtype", "transid"] as const;
export const PKT_FIELDS = ["iface", "src", "dst", "len"] as const;

export type PktHead = "pkt" | "pkt4" | "pkt6";
export type OptionRepr = "hex" | "text" | "exists";
export type OptionGetter = (pkt: Pkt) => Option | undefined;

function addrBytes(text: string): Buffer {
  if (text.includes(":")) {
    try {
      return ipv6FromString(text);
    } catch {
      return EMPTY;
    }
  }
  const n = tryParseIPv4(text);
  return n < 0 ? EMPTY : uint32(n);
}

function pktCommonField(field: string): StringFn {
  switch (field) {
    case "iface":
      return (p) => Buffer.from(p.iface);
    case "src":
      return (p) => addrBytes(p.remoteAddr);
    case "dst":
      return (p) => addrBytes(p.localAddr);
    default:
      return (p) => uint32(p.data.length);
  }
}

function pkt4Field(field: string): StringFn {
  switch (field) {
    case "mac":
      return (p) => (p as Pkt4).getHWAddr().hwaddr as Buffer;
    case "hlen":
      return (p) => uint32((p as Pkt4).hlen);
    case "htype":
      return (p) => uint32((p as Pkt4).htype);
    case "ciaddr":
      return (p) => uint32((p as Pkt4).ciaddrInt);
    case "giaddr":
      return (p) => uint32((p as Pkt4).giaddrInt);
    case "yiaddr":
      return (p) => uint32((p as Pkt4).yiaddrInt);
    case "siaddr":
      return (p) => uint32((p as Pkt4).siaddrInt);
    case "msgtype":
      return (p) => uint32((p as Pkt4).getType());
    default:
      return (p) => uint32((p as Pkt4).transid);
  }
}

/** `head.field`, the field already checked against the head's table. */
export function pktField(head: PktHead, field: string): StringFn {
  if (head === "pkt") return pktCommonField(field);
  if (head === "pkt4") return pkt4Field(field);
  return field === "msgtype"
    ? (p) => uint32((p as Pkt6).getType())
    : (p) => uint32((p as Pkt6).transid);
}

/** The relay at nesting `level` (negative counts from the client), or undefined. */
function relayAt(p: Pkt, level: number): RelayInfo | undefined {
  const relays = (p as Pkt6).relayInfo;
  const i = level >= 0 ? level : relays.length + level;
  return i >= 0 && i < relays.length ? relays[i] : undefined;
}

/** `relay6[L].peeraddr` / `.linkaddr` (Kea's TokenRelay6Field): "" when there is no such relay. */
export function relay6Field(level: number, field: "peeraddr" | "linkaddr"): StringFn {
  return (p) => {
    const r = relayAt(p, level);
    if (r === undefined) return EMPTY;
    return ipv6FromString(field === "peeraddr" ? r.peerAddr : r.linkAddr);
  };
}

export function topOption(code: number): OptionGetter {
  return (p) => p.getNonCopiedOption(code);
}

/** option[N].option[M], as Kea's TokenSubOption; relay4[M] is option 82's sub-option M. */
export function subOption(parent: number, code: number): OptionGetter {
  return (p) => p.getNonCopiedOption(parent)?.getOption(code);
}

export function relay6Option(level: number, code: number): OptionGetter {
  return (p) => relayAt(p, level)?.getOption(code);
}

/** The vendor (class) option `code` of the enterprise asked for (any for 0), or undefined. */
export function vendorOption(code: number, enterprise: number): OptionGetter {
  return (p) => {
    const o = p.getNonCopiedOption(code);
    if (o === undefined || o.getData().length < 4) return undefined;
    if (enterprise !== 0 && o.getData().readUInt32BE(0) !== enterprise) return undefined;
    return o;
  };
}

export function vendorSubOption(vendor: OptionGetter, code: number): OptionGetter {
  return (p) => vendor(p)?.getOption(code);
}

/** `vendor.enterprise` / `vendor-class.enterprise`: the first 4 bytes of the option. */
export function vendorEnterprise(code: number): StringFn {
  return (p) => {
    const o = p.getNonCopiedOption(code);
    return o === undefined || o.getData().length < 4 ? EMPTY : o.getData().subarray(0, 4);
  };
}

/**
 * Tuple `index` of a vendor class option's payload, as Kea's OptionVendorClass reads it: v6 (16):
 * the enterprise number, then tuples with two-byte lengths; v4 (124): the enterprise number,
 * then per block a one-byte length and its data (the whole vendor-class-data of RFC 3925 is one
 * tuple), blocks after the first preceded by the enterprise number again. Empty when none.
 */
function vendorClassTuple(d: Buffer, v4: boolean, index: number): Buffer {
  let off = 4;
  for (let i = 0; off < d.length; i++) {
    const declared = v4 ? d[off]! : off + 2 <= d.length ? d.readUInt16BE(off) : -1;
    const start = off + (v4 ? 1 : 2);
    const len = declared < 0 ? -1 : tupleDataLength(declared, d.length - start);
    if (len < 0) return EMPTY;
    if (i === index) return d.subarray(start, start + len);
    off = start + len;
    if (v4 && off < d.length) off += 4;
  }
  return EMPTY;
}

export function vendorClassData(vendor: OptionGetter, v4: boolean, index: number): StringFn {
  return (p) => {
    const o = vendor(p);
    return o === undefined ? EMPTY : vendorClassTuple(o.getData(), v4, index);
  };
}

/** The option's payload with its sub-options packed, as Kea's toBinary(false). */
function optionHex(o: Option): Buffer {
  const data = o.getData();
  if (o.payloadLen() === data.length) return data;
  return o.pack().subarray(o.getHeaderLen());
}

/** Text of an option: a string option's bytes, else its value as Nestor prints it. */
function optionText(o: Option, stringType: boolean): Buffer {
  if (stringType) return o.getData();
  return Buffer.from(o.valueToText());
}

export function optionExists(get: OptionGetter): BoolFn {
  return (p) => get(p) !== undefined;
}

/** An option reference as a value: its bytes, its text, or whether it is there. */
export function optionValue(get: OptionGetter, repr: OptionRepr, stringType: boolean): StringFn {
  if (repr === "exists") return (p) => (get(p) !== undefined ? TRUE_ : FALSE_);
  if (repr === "hex") {
    return (p) => {
      const o = get(p);
      return o === undefined ? EMPTY : optionHex(o);
    };
  }
  return (p) => {
    const o = get(p);
    return o === undefined ? EMPTY : optionText(o, stringType);
  };
}
