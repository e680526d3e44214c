/**
 * An option laid out by its definition: one value, an array of values, or a record of fields
 * (the last of which may repeat). The payload bytes stay the source of truth; values are
 * decoded when read and re-encoded when written, so a parsed option costs one object.
 */
import { BadValue } from "./errors.ts";
import { Option } from "./option.ts";
import type { UniverseValue } from "./option.ts";
import {
  ByteWriter,
  fieldLength,
  fieldToText,
  readField,
  writeFieldValue,
} from "./option-data-types.ts";
import type {
  OptionDataTypeName,
  OptionValue,
  PrefixValue,
  PsidValue,
} from "./option-data-types.ts";
import { routesLength, routesToText, writeRoutesText } from "./static-routes.ts";
import type { OptionDefinition } from "./option-definition.ts";

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
