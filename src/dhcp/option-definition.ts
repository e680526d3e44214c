/**
 * Option definitions: what the payload of an option code in an option space looks like, in
 * Kea's terms (name, code, type, array, record-types, space, encapsulate). A definition builds
 * options from wire bytes and from option-data text.
 */
import { BadValue, OptionDataError } from "./errors.ts";
import { Option } from "./option.ts";
import type { UniverseValue } from "./option.ts";
import { OptionCustom, scanFields } from "./option-custom.ts";
import { ByteWriter, isOptionDataType, writeFieldText } from "./option-data-types.ts";
import type { OptionDataTypeName } from "./option-data-types.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "./option6-ia.ts";
import { Option6StatusCode } from "./option6-status-code.ts";
import { OptionVendor } from "./option-vendor.ts";
import { OptionClientFqdn } from "./option-client-fqdn.ts";
import { unpackOptions } from "./libdhcp.ts";
import { writeRoutesText } from "./static-routes.ts";

/** Finds definitions by space and code or name; the server layers custom ones over standard. */
export interface OptionDefLookup {
  /**
   * `universe` tells DHCPv4 from DHCPv6 definitions in a space both use ("vendor-4491");
   * without it, "dhcp4" means 4, "dhcp6" means 6, and other spaces try 4 then 6.
   */
  get(space: string, code: number, universe?: UniverseValue): OptionDefinition | undefined;
  getByName(space: string, name: string, universe?: UniverseValue): OptionDefinition | undefined;
}

export interface OptionDefParams {
  name: string;
  code: number;
  type: string;
  space: string;
  array?: boolean;
  /** Field types of a record, as a list or Kea's comma-separated "record-types" text. */
  recordTypes?: readonly string[] | string;
  encapsulate?: string;
  /** Needed only for spaces other than "dhcp4" and "dhcp6". */
  universe?: UniverseValue;
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;

export class OptionDefinition {
  readonly name: string;
  readonly code: number;
  readonly type: OptionDataTypeName;
  readonly array: boolean;
  readonly recordFields: readonly OptionDataTypeName[];
  readonly space: string;
  readonly encapsulate: string;
  readonly universe: UniverseValue;
  /** v4 option 81 / v6 option 39: the name may be partial (no root label). */
  readonly isClientFqdn: boolean;
  readonly isClientFqdn4: boolean;
  /** Which dedicated option class (if any) this definition's options get. */
  private readonly special: number;

  /** Throws OptionDataError when the parameters do not make a valid definition. */
  constructor(p: OptionDefParams) {
    const label = p.name === "" ? `${p.space}/${p.code}` : p.name;
    const fail = (reason: string): never => {
      throw new OptionDataError(label, reason);
    };
    const universe =
      p.universe ?? (p.space === "dhcp4" ? 4 : p.space === "dhcp6" ? 6 : fail("unknown universe"));
    if (!NAME_RE.test(p.name)) fail(`invalid option name '${p.name}'`);
    const max = universe === 4 ? 255 : 65535;
    if (!Number.isInteger(p.code) || p.code < 0 || p.code > max) {
      fail(`code ${p.code} is out of range 0..${max}`);
    }
    if (universe === 4 && p.space === "dhcp4" && (p.code === 0 || p.code === 255)) {
      fail(`code ${p.code} is reserved for PAD/END`);
    }
    if (!isOptionDataType(p.type)) fail(`unknown option type '${p.type}'`);
    const type = p.type as OptionDataTypeName;
    const array = p.array ?? false;
    const rt = p.recordTypes ?? [];
    const fields = (typeof rt === "string" ? rt.split(",") : rt)
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (type === "record") {
      if (fields.length < 2) fail(`a record needs at least 2 record-types, got ${fields.length}`);
      fields.forEach((f, i) => {
        if (!isOptionDataType(f) || f === "record" || f === "empty" || f === "internal") {
          fail(`'${f}' is not a valid record field type`);
        }
        if ((f === "string" || f === "binary") && i < fields.length - 1) {
          fail(`a ${f} field can only be the last field of a record`);
        }
      });
    } else if (fields.length > 0) {
      fail(`record-types given for a non-record type '${type}'`);
    }
    if (
      array &&
      (type === "string" || type === "binary" || type === "empty" || type === "internal")
    ) {
      fail(`an array of ${type} is not a valid option definition`);
    }
    const last = fields[fields.length - 1];
    if (array && type === "record" && (last === "string" || last === "binary")) {
      fail(`an array record cannot end with a ${last} field`);
    }
    const encapsulate = p.encapsulate ?? "";
    if (encapsulate !== "" && array) fail("an array option cannot encapsulate an option space");
    if (encapsulate !== "" && !NAME_RE.test(encapsulate)) {
      fail(`invalid encapsulated space name '${encapsulate}'`);
    }
    this.name = p.name;
    this.code = p.code;
    this.type = type;
    this.array = array;
    this.recordFields = fields as OptionDataTypeName[];
    this.space = p.space;
    this.encapsulate = encapsulate;
    this.universe = universe;
    this.isClientFqdn =
      (p.space === "dhcp4" && p.code === 81) || (p.space === "dhcp6" && p.code === 39);
    this.isClientFqdn4 = p.space === "dhcp4" && p.code === 81;
    this.special = specialKind(this);
  }

  /** Kea's "record-types" text: "uint8, fqdn". */
  get recordTypesText(): string {
    return this.recordFields.join(", ");
  }

  /**
   * Builds an option from its payload buf[start..end). Sub-options of an encapsulating
   * definition are parsed with `defs`; a framing error there throws PacketParseError. A
   * payload that does not fit the definition is kept as a plain Option with the same bytes,
   * so that nothing received is lost.
   */
  optionFactory(
    buf: Uint8Array,
    start = 0,
    end = buf.length,
    defs?: OptionDefLookup,
    depth = 0,
  ): Option {
    return this.tryOptionFactory(buf, start, end, defs, depth) ?? this.binary(buf, start, end);
  }

  /** Like optionFactory, but null when the payload does not fit the definition. */
  tryOptionFactory(
    buf: Uint8Array,
    start = 0,
    end = buf.length,
    defs?: OptionDefLookup,
    depth = 0,
  ): Option | null {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    // Without definitions (bytes from configuration) sub-options are kept as bytes.
    const d = defs ?? EMPTY_DEFS;
    if (this.special === SPECIAL_VENDOR)
      return OptionVendor.fromWire(this, b, start, end, d, depth);
    const encaps = this.encapsulate !== "";
    const flen = scanFields(this, b, start, end, this.universe, !encaps, null);
    if (flen < 0) return null;
    const fend = start + flen;
    if (!encaps && fend !== end) return null;
    const opt = this.instantiate(b.subarray(start, fend));
    if (encaps && fend < end) {
      opt.adoptOptions(unpackOptions(this.universe, this.encapsulate, b, fend, end, d, depth + 1));
    }
    return opt;
  }

  private binary(buf: Uint8Array, start: number, end: number): Option {
    return new Option(this.universe, this.code, buf.subarray(start, end));
  }

  /** v4 option 125 and v6 option 17 carry an enterprise number and vendor sub-options. */
  isVendor(): boolean {
    return this.special === SPECIAL_VENDOR;
  }

  /** The option class for this definition, built around already-checked field bytes. */
  instantiate(data: Buffer): OptionCustom {
    switch (this.special) {
      case SPECIAL_IA:
        return new Option6IA(this, data);
      case SPECIAL_IAADDR:
        return new Option6IAAddr(this, data);
      case SPECIAL_IAPREFIX:
        return new Option6IAPrefix(this, data);
      case SPECIAL_STATUS:
        return new Option6StatusCode(this, data);
      case SPECIAL_VENDOR:
        return new OptionVendor(this, data);
      case SPECIAL_FQDN:
        return new OptionClientFqdn(this, this.universe, data);
      default:
        return new OptionCustom(this, this.universe, data);
    }
  }

  /**
   * Builds an option from option-data CSV values (already split on unescaped commas). Throws
   * BadValue naming the problem; the caller adds the option name.
   */
  optionFactoryFromText(values: readonly string[]): Option {
    const w = new ByteWriter();
    const u = this.universe;
    const partial = this.isClientFqdn;
    if (this.type === "internal") {
      if (this.code === 121 && this.space === "dhcp4") writeRoutesText(values.join(","), w);
      else writeFieldText("binary", values.join(""), w, u);
    } else if (this.type === "empty") {
      if (values.some((v) => v.trim() !== "")) {
        throw new BadValue("an option of type empty takes no data");
      }
    } else if (this.type !== "record") {
      // As Kea: every value is trimmed; a single-value option uses the first one.
      if (this.array) {
        for (const v of values) writeFieldText(this.type, v.trim(), w, u);
      } else {
        if (values.length === 0) throw new BadValue("no option value specified");
        writeFieldText(this.type, values[0]!.trim(), w, u, partial);
      }
    } else {
      const rf = this.recordFields;
      if (values.length < rf.length) {
        throw new BadValue(`${rf.length} record fields expected, ${values.length} given`);
      }
      // Extra values repeat the last field of an array record; otherwise Kea ignores them.
      const n = this.array ? values.length : rf.length;
      const ascii = this.isClientFqdn4 && (Number(values[0]!.trim()) & 4) === 0;
      for (let i = 0; i < n; i++) {
        let t = rf[Math.min(i, rf.length - 1)]!;
        if (t === "fqdn" && ascii) t = "string";
        writeFieldText(t, values[i]!.trim(), w, u, partial);
      }
    }
    const bytes = w.toBuffer();
    const opt = this.tryOptionFactory(bytes, 0, bytes.length);
    if (opt === null) throw new BadValue("data does not match the option format");
    return opt;
  }

  /** Builds an option from raw payload bytes given in configuration (csv-format false). */
  optionFactoryFromBytes(bytes: Buffer): Option {
    const opt = this.tryOptionFactory(bytes, 0, bytes.length);
    if (opt === null) throw new BadValue(`binary data does not match the format of '${this.name}'`);
    return opt;
  }

  equals(o: OptionDefinition): boolean {
    return (
      this.name === o.name &&
      this.code === o.code &&
      this.type === o.type &&
      this.array === o.array &&
      this.space === o.space &&
      this.encapsulate === o.encapsulate &&
      this.recordFields.join() === o.recordFields.join()
    );
  }

  /** The definition as a Kea option-def entry. */
  toConfig(): OptionDefConfig {
    return {
      name: this.name,
      code: this.code,
      type: this.type,
      array: this.array,
      "record-types": this.recordTypesText,
      space: this.space,
      encapsulate: this.encapsulate,
    };
  }
}

/** A Kea option-def entry. */
export interface OptionDefConfig {
  name: string;
  code: number;
  type: string;
  array?: boolean;
  "record-types"?: string;
  space?: string;
  encapsulate?: string;
}

const EMPTY_DEFS: OptionDefLookup = {
  get: () => undefined,
  getByName: () => undefined,
};

const SPECIAL_NONE = 0;
const SPECIAL_IA = 1;
const SPECIAL_IAADDR = 2;
const SPECIAL_IAPREFIX = 3;
const SPECIAL_STATUS = 4;
const SPECIAL_VENDOR = 5;
const SPECIAL_FQDN = 6;

/** The dedicated class for a standard layout (checked by layout, not only by code). */
function specialKind(d: OptionDefinition): number {
  const rt = d.recordFields.join(",");
  if (d.space === "dhcp6") {
    if ((d.code === 3 || d.code === 25) && rt === "uint32,uint32,uint32") return SPECIAL_IA;
    if (d.code === 4 && d.type === "uint32") return SPECIAL_IA;
    if (d.code === 5 && rt === "ipv6-address,uint32,uint32") return SPECIAL_IAADDR;
    if (d.code === 26 && rt === "uint32,uint32,uint8,ipv6-address") return SPECIAL_IAPREFIX;
    if (d.code === 13 && rt === "uint16,string") return SPECIAL_STATUS;
    if (d.code === 17 && d.type === "uint32" && !d.array) return SPECIAL_VENDOR;
    if (d.code === 39 && rt === "uint8,fqdn") return SPECIAL_FQDN;
  }
  if (d.space === "dhcp4" && d.code === 81 && rt === "uint8,uint8,uint8,fqdn") return SPECIAL_FQDN;
  if (d.space === "dhcp4" && d.code === 125 && d.type === "uint32" && !d.array) {
    return SPECIAL_VENDOR;
  }
  return SPECIAL_NONE;
}
