/**
 * Option definitions: what the payload of an option code in an option space looks like, in
 * Kea's terms (name, code, type, array, record-types, space, encapsulate). A definition builds
 * options from wire bytes and from option-data text.
 *
 * OptionCustom, the option a definition lays out, lives here too (option-custom.ts re-exports
 * it): the two refer to each other. The dedicated option classes (Option6IA, OptionVendor, ...)
 * and the option-list parser sit above this module; libdhcp.ts, which imports them, installs
 * them here with setOptionFactory(), so this module imports none of them.
 */
import { InvalidOperation } from "../util/errors.ts";
import { BadValue, OptionDataError } from "./errors.ts";
import { Option } from "./option.ts";
import type { UniverseValue } from "./option.ts";
import {
  ByteWriter,
  fieldLength,
  fieldToText,
  isOptionDataType,
  readField,
  writeFieldText,
  writeFieldValue,
} from "./option-data-types.ts";
import type {
  OptionDataTypeName,
  OptionValue,
  PrefixValue,
  PsidValue,
} from "./option-data-types.ts";
import { routesLength, routesToText, writeRoutesText } from "./static-routes.ts";

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
    if (this.special === SPECIAL_VENDOR) {
      return optionFactory().vendorFromWire(this, b, start, end, d, depth);
    }
    const encaps = this.encapsulate !== "";
    const flen = scanFields(this, b, start, end, this.universe, !encaps, null);
    if (flen < 0) return null;
    const fend = start + flen;
    if (!encaps && fend !== end) return null;
    const opt = this.instantiate(b.subarray(start, fend));
    if (encaps && fend < end) {
      opt.adoptOptions(
        unpackSubOptions(this.universe, this.encapsulate, b, fend, end, d, depth + 1),
      );
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
        return optionFactory().ia(this, data);
      case SPECIAL_IAADDR:
        return optionFactory().iaAddr(this, data);
      case SPECIAL_IAPREFIX:
        return optionFactory().iaPrefix(this, data);
      case SPECIAL_STATUS:
        return optionFactory().statusCode(this, data);
      case SPECIAL_VENDOR:
        return optionFactory().vendor(this, data);
      case SPECIAL_FQDN:
        return optionFactory().clientFqdn(this, data);
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

/**
 * What a definition needs from the modules above this one: the dedicated option classes, the
 * vendor option parser and the option-list parser. libdhcp.ts installs it when it is loaded
 * (every parser and the public entry points import libdhcp.ts).
 */
export interface OptionFactory {
  /** IA_NA, IA_TA, IA_PD (Option6IA). */
  readonly ia: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** IAADDR (Option6IAAddr). */
  readonly iaAddr: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** IAPREFIX (Option6IAPrefix). */
  readonly iaPrefix: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** DHCPv6 status code (Option6StatusCode). */
  readonly statusCode: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** v4 option 125, v6 option 17 (OptionVendor). */
  readonly vendor: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** v4 option 81, v6 option 39 (OptionClientFqdn). */
  readonly clientFqdn: (def: OptionDefinition, data: Buffer) => OptionCustom;
  /** Parses a whole vendor option payload; null when it does not have the vendor layout. */
  readonly vendorFromWire: (
    def: OptionDefinition,
    buf: Buffer,
    start: number,
    end: number,
    defs: OptionDefLookup,
    depth: number,
  ) => OptionCustom | null;
  /** Parses the options in buf[start..end) of an option space (libdhcp's unpackOptions). */
  readonly unpackOptions: (
    universe: UniverseValue,
    space: string,
    buf: Buffer,
    start: number,
    end: number,
    defs: OptionDefLookup,
    depth: number,
  ) => Option[];
}

let installedFactory: OptionFactory | null = null;

/** Installs the option classes and parsers (called once, by libdhcp.ts, when it is loaded). */
export function setOptionFactory(factory: OptionFactory): void {
  installedFactory = factory;
}

function optionFactory(): OptionFactory {
  if (installedFactory === null) {
    throw new InvalidOperation(
      "the option classes are not installed: import src/dhcp/libdhcp.ts (or nestor/dhcp)",
    );
  }
  return installedFactory;
}

/** Parses sub-options with the installed option-list parser (for the option classes). */
export function unpackSubOptions(
  universe: UniverseValue,
  space: string,
  buf: Buffer,
  start: number,
  end: number,
  defs: OptionDefLookup,
  depth: number,
): Option[] {
  return optionFactory().unpackOptions(universe, space, buf, start, end, defs, depth);
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

// ---------------------------------------------------------------------------------------------
// OptionCustom
// ---------------------------------------------------------------------------------------------

/**
 * An option laid out by its definition: one value, an array of values, or a record of fields
 * (the last of which may repeat). The payload bytes stay the source of truth; values are
 * decoded when read and re-encoded when written, so a parsed option costs one object.
 */
export class OptionCustom extends Option {
  readonly def: OptionDefinition;
  /** Field boundaries as [offset, length, ...] into data; null until first needed. */
  private layout: number[] | null;

  constructor(def: OptionDefinition, universe: UniverseValue, data?: Uint8Array) {
    super(universe, def.code, data);
    this.def = def;
    this.layout = null;
    this.encapsulatedSpace = def.encapsulate;
  }

  override setData(data: Uint8Array): void {
    const fields = measureFields(this.def, data, 0, data.length, this.universe, true);
    if (fields === null || fieldsEnd(fields) !== data.length) {
      throw new BadValue(`data does not match the format of option '${this.def.name}'`);
    }
    super.setData(data);
    this.layout = fields;
  }

  private fields(): number[] {
    if (this.layout === null) {
      // Parsers check the bytes before building the option; only a caller of the constructor
      // can hand in bytes that do not fit.
      const f = measureFields(this.def, this.data, 0, this.data.length, this.universe, true);
      if (f === null || fieldsEnd(f) !== this.data.length) {
        throw new BadValue(`data does not match the format of option '${this.def.name}'`);
      }
      this.layout = f;
    }
    return this.layout;
  }

  /** Number of data fields present (array elements count one each). */
  getDataFieldsNum(): number {
    return this.fields().length / 2;
  }

  /** Type of field `index`. */
  fieldType(index: number): OptionDataTypeName {
    const def = this.def;
    if (def.type !== "record") return def.type;
    const rf = def.recordFields;
    const t = rf[Math.min(index, rf.length - 1)]!;
    // RFC 4702: with the E flag clear, the v4 client FQDN name is plain ASCII.
    if (t === "fqdn" && def.isClientFqdn4 && this.data.length > 0 && (this.data[0]! & 4) === 0) {
      return "string";
    }
    return t;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.getDataFieldsNum()) {
      throw new BadValue(
        `option '${this.def.name}' has no data field ${index} ` +
          `(it has ${this.getDataFieldsNum()})`,
      );
    }
  }

  /** The decoded value of field `index`. */
  readValue(index = 0): OptionValue {
    this.checkIndex(index);
    const f = this.fields();
    return readField(
      this.fieldType(index),
      this.data,
      f[2 * index]!,
      f[2 * index + 1]!,
      this.universe,
    );
  }

  /** All decoded values, in order. */
  getValues(): OptionValue[] {
    const n = this.getDataFieldsNum();
    const out: OptionValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.readValue(i));
    return out;
  }

  /** The first value (the only one for a single-value option). */
  getValue(): OptionValue {
    return this.readValue(0);
  }

  readInteger(index = 0): number {
    return expect(this.readValue(index), "number", this.def.name, index);
  }

  readBoolean(index = 0): boolean {
    return expect(this.readValue(index), "boolean", this.def.name, index);
  }

  /** An IPv4 or IPv6 address field, as text. */
  readAddress(index = 0): string {
    return expect(this.readValue(index), "string", this.def.name, index);
  }

  readString(index = 0): string {
    return expect(this.readValue(index), "string", this.def.name, index);
  }

  readFqdn(index = 0): string {
    return expect(this.readValue(index), "string", this.def.name, index);
  }

  readTuple(index = 0): string {
    return expect(this.readValue(index), "string", this.def.name, index);
  }

  readBinary(index = 0): Buffer {
    const v = this.readValue(index);
    if (!Buffer.isBuffer(v))
      throw new BadValue(`field ${index} of '${this.def.name}' is not binary`);
    return v;
  }

  readPrefix(index = 0): PrefixValue {
    const v = this.readValue(index);
    if (typeof v !== "object" || Buffer.isBuffer(v) || !("prefix" in v)) {
      throw new BadValue(`field ${index} of '${this.def.name}' is not a prefix`);
    }
    return v;
  }

  readPsid(index = 0): PsidValue {
    const v = this.readValue(index);
    if (typeof v !== "object" || Buffer.isBuffer(v) || !("psidLen" in v)) {
      throw new BadValue(`field ${index} of '${this.def.name}' is not a PSID`);
    }
    return v;
  }

  /** Replaces field `index` (or appends when index equals the count, for arrays). */
  writeValue(value: OptionValue, index = 0): void {
    const n = this.getDataFieldsNum();
    const values = this.getValues();
    if (index === n && this.canGrow()) values.push(value);
    else {
      this.checkIndex(index);
      values[index] = value;
    }
    this.setValues(values);
  }

  /** Appends one element to an array option (or to the array tail of a record). */
  addArrayDataField(value: OptionValue): void {
    if (!this.canGrow()) throw new BadValue(`option '${this.def.name}' is not an array`);
    this.setValues([...this.getValues(), value]);
  }

  /** Rewrites the payload from a list of values laid out by the definition. */
  setValues(values: readonly OptionValue[]): void {
    const w = new ByteWriter();
    if (this.def.type === "internal" && this.def.code === 121 && this.def.space === "dhcp4") {
      writeRoutesText(values.map((v) => String(v)).join(","), w);
      this.setData(w.toBuffer());
      return;
    }
    for (let i = 0; i < values.length; i++) {
      writeFieldValue(
        this.fieldTypeFor(i, values),
        values[i]!,
        w,
        this.universe,
        this.def.isClientFqdn,
      );
    }
    this.setData(w.toBuffer());
  }

  private fieldTypeFor(i: number, values: readonly OptionValue[]): OptionDataTypeName {
    const def = this.def;
    if (def.type !== "record") return def.type;
    const rf = def.recordFields;
    const t = rf[Math.min(i, rf.length - 1)]!;
    if (
      t === "fqdn" &&
      def.isClientFqdn4 &&
      typeof values[0] === "number" &&
      (values[0] & 4) === 0
    ) {
      return "string";
    }
    return t;
  }

  private canGrow(): boolean {
    return this.def.array;
  }

  /** The values as option-data text: CSV tokens joined by ", ". */
  override valueToText(): string {
    return this.toCsv();
  }

  /** The payload as the `data` of an option-data entry with csv-format true. */
  toCsv(): string {
    if (this.def.type === "internal") {
      return this.def.code === 121 && this.def.space === "dhcp4"
        ? routesToText(this.data)
        : this.data.toString("hex").toUpperCase();
    }
    const f = this.fields();
    const parts: string[] = [];
    for (let i = 0; i < f.length / 2; i++) {
      parts.push(
        fieldToText(this.fieldType(i), this.data, f[2 * i]!, f[2 * i + 1]!, this.universe),
      );
    }
    return parts.join(", ");
  }

  override clone(): OptionCustom {
    const c = new OptionCustom(this.def, this.universe, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}

function expect<T extends "number" | "boolean" | "string">(
  v: OptionValue,
  t: T,
  name: string,
  index: number,
): T extends "number" ? number : T extends "boolean" ? boolean : string {
  if (typeof v !== t) throw new BadValue(`field ${index} of '${name}' is not a ${t}`);
  return v as T extends "number" ? number : T extends "boolean" ? boolean : string;
}

function fieldsEnd(f: number[]): number {
  return f.length === 0 ? 0 : f[f.length - 2]! + f[f.length - 1]!;
}

/**
 * Splits buf[start..end) into the definition's fields. Returns [offset, length, ...] relative to
 * `start`, or null when the bytes do not fit the definition. When `toEnd` is false (the option
 * encapsulates sub-options after its fields) no field may swallow the rest.
 */
export function measureFields(
  def: OptionDefinition,
  buf: Uint8Array,
  start: number,
  end: number,
  universe: UniverseValue,
  toEnd: boolean,
): number[] | null {
  const out: number[] = [];
  return scanFields(def, buf, start, end, universe, toEnd, out) < 0 ? null : out;
}

/**
 * Walks the fields like measureFields and returns where they end (relative to `start`), or -1.
 * With `out` null nothing is allocated: the packet parser only checks, reads come later.
 */
export function scanFields(
  def: OptionDefinition,
  buf: Uint8Array,
  start: number,
  end: number,
  universe: UniverseValue,
  toEnd: boolean,
  out: number[] | null,
): number {
  const partial = def.isClientFqdn;
  let p = start;
  const type = def.type;
  if (type === "empty") return 0;
  if (type === "internal") {
    if (def.code === 121 && def.space === "dhcp4" && routesLength(buf, start, end) < 0) return -1;
    out?.push(0, end - start);
    return end - start;
  }
  if (type !== "record") {
    if (!def.array) {
      const n = fieldLength(type, buf, p, end, universe, toEnd, partial);
      if (n < 0) return -1;
      out?.push(0, n);
      return n;
    }
    while (p < end) {
      const n = fieldLength(type, buf, p, end, universe, false);
      if (n <= 0) return -1;
      out?.push(p - start, n);
      p += n;
    }
    return p - start;
  }
  const rf = def.recordFields;
  for (let i = 0; i < rf.length; i++) {
    let t = rf[i]!;
    if (t === "fqdn" && def.isClientFqdn4 && (buf[start]! & 4) === 0) t = "string";
    const last = toEnd && i === rf.length - 1 && !def.array;
    const n = fieldLength(t, buf, p, end, universe, last, partial && i === rf.length - 1);
    if (n < 0) return -1;
    out?.push(p - start, n);
    p += n;
  }
  if (def.array) {
    const t = rf[rf.length - 1]!;
    while (p < end) {
      const n = fieldLength(t, buf, p, end, universe, false);
      if (n <= 0) return -1;
      out?.push(p - start, n);
      p += n;
    }
  }
  return p - start;
}
