/** DHCPv6 Status Code (13): a 16-bit code and a UTF-8 message. */
import { BadValue } from "./errors.ts";
import { OptionCustom } from "./option-custom.ts";
import type { OptionDefinition } from "./option-definition.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";

/** Status codes of RFC 8415 section 21.13 and RFC 5007/5460. */
export const StatusCode = {
  Success: 0,
  UnspecFail: 1,
  NoAddrsAvail: 2,
  NoBinding: 3,
  NotOnLink: 4,
  UseMulticast: 5,
  NoPrefixAvail: 6,
  UnknownQueryType: 7,
  MalformedQuery: 8,
  NotConfigured: 9,
  NotAllowed: 10,
  QueryTerminated: 11,
} as const;

export class Option6StatusCode extends OptionCustom {
  constructor(def: OptionDefinition, data: Uint8Array) {
    super(def, 6, data);
  }

  static create(code: number, message = ""): Option6StatusCode {
    const st = new Option6StatusCode(getStdOptionDefs().get("dhcp6", 13)!, Buffer.alloc(2));
    st.setStatusCode(code);
    st.setStatusMessage(message);
    return st;
  }

  getStatusCode(): number {
    return (this.data[0]! << 8) | this.data[1]!;
  }

  setStatusCode(code: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 65535) {
      throw new BadValue(`status code ${code} is out of range 0..65535`);
    }
    const d = Buffer.from(this.data);
    d[0] = code >>> 8;
    d[1] = code & 255;
    this.data = d;
  }

  getStatusMessage(): string {
    return this.data.toString("utf8", 2);
  }

  setStatusMessage(msg: string): void {
    const d = Buffer.concat([this.data.subarray(0, 2), Buffer.from(msg, "utf8")]);
    this.setData(d);
  }

  override clone(): Option6StatusCode {
    const c = new Option6StatusCode(this.def, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}
