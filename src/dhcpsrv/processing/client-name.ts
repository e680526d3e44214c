/**
 * Client names with DNS updates off, as Kea 2.2 handles them (Dhcpv4Srv::processClientName,
 * Dhcpv6Srv::processClientFqdn, D2ClientMgr's adjustFqdnFlags, adjustDomainName, qualifyName and
 * generateFqdn): the name a client sends in DHCPv4 option 12 (Host Name) or 81 (Client FQDN) or
 * DHCPv6 option 39 (Client FQDN), or a reservation's hostname, sanitised with
 * `hostname-char-set` / `hostname-char-replacement`, qualified with `ddns-qualifying-suffix`,
 * replaced per `ddns-replace-client-name` by one generated from the leased address with
 * `ddns-generated-prefix`. The result goes in the lease's hostname and back to the client.
 *
 * With updates off the server never takes a DNS update on itself: an FQDN answer has S clear,
 * N set, O set when the client asked for S, and (DHCPv4) the client's E flag and RCODEs.
 */

/** `ddns-replace-client-name` (Kea's D2ClientConfig::ReplaceClientNameMode). */
export const ReplaceClientName = {
  NEVER: 0,
  ALWAYS: 1,
  WHEN_PRESENT: 2,
  WHEN_NOT_PRESENT: 3,
} as const;
export type ReplaceClientNameMode = (typeof ReplaceClientName)[keyof typeof ReplaceClientName];

/** The configuration keys read here (global and per subnet in Kea 2.2). */
export interface ClientNameKeys {
  "ddns-replace-client-name"?: string;
  "ddns-generated-prefix"?: string;
  "ddns-qualifying-suffix"?: string;
  "hostname-char-set"?: string;
  "hostname-char-replacement"?: string;
}

/** Kea 2.2's defaults. */
const DEFAULT_CHAR_SET = "[^A-Za-z0-9.-]";
const DEFAULT_PREFIX = "myhost";

function modeOf(text: string | undefined): ReplaceClientNameMode {
  switch (text) {
    case "always":
      return ReplaceClientName.ALWAYS;
    case "when-present":
    case "true":
      return ReplaceClientName.WHEN_PRESENT;
    case "when-not-present":
      return ReplaceClientName.WHEN_NOT_PRESENT;
    default:
      return ReplaceClientName.NEVER;
  }
}

/**
 * A POSIX extended regular expression (Kea compiles `hostname-char-set` with
 * std::regex::extended) as a JavaScript one: inside a bracket expression a backslash is a
 * plain character and `[:alpha:]`-style classes name character sets.
 */
export function posixToRegExp(ere: string): RegExp {
  let out = "";
  let i = 0;
  while (i < ere.length) {
    const c = ere[i]!;
    if (c !== "[") {
      out += c;
      i++;
      continue;
    }
    // A bracket expression: "[", optional "^", a "]" first is literal, up to the closing "]".
    let j = i + 1;
    let body = "[";
    if (ere[j] === "^") {
      body += "^";
      j++;
    }
    if (ere[j] === "]") {
      body += "\\]";
      j++;
    }
    let closed = false;
    while (j < ere.length) {
      const d = ere[j]!;
      if (d === "]") {
        closed = true;
        j++;
        break;
      }
      if (d === "[" && ere[j + 1] === ":") {
        const end = ere.indexOf(":]", j + 2);
        if (end < 0) throw new SyntaxError(`unterminated character class in '${ere}'`);
        const cls = POSIX_CLASSES[ere.slice(j + 2, end)];
        if (cls === undefined) throw new SyntaxError(`unknown character class in '${ere}'`);
        body += cls;
        j = end + 2;
        continue;
      }
      body += d === "\\" ? "\\\\" : d;
      j++;
    }
    if (!closed) throw new SyntaxError(`unterminated bracket expression in '${ere}'`);
    out += body + "]";
    i = j;
  }
  return new RegExp(out, "g");
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: "A-Za-z",
  digit: "0-9",
  alnum: "A-Za-z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: " \\t\\n\\r\\f\\v",
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  xdigit: "0-9A-Fa-f",
  cntrl: "\\x00-\\x1f\\x7f",
  print: " -~",
  graph: "!-~",
};

/** ASCII-only lower case (boost::algorithm::to_lower in the C locale). */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** Kea's DdnsParams as far as names go, resolved for one subnet (subnet over global). */
export class ClientNameParams {
  /** Kea's defaults (no key set). */
  static readonly DEFAULT = new ClientNameParams();

  readonly replaceMode: ReplaceClientNameMode;
  readonly generatedPrefix: string;
  readonly qualifyingSuffix: string;
  /** null when `hostname-char-set` is empty: names are not sanitised. */
  readonly sanitizer: RegExp | null;
  readonly replacement: string;
  /** True when a name is generated for a client that sent none (always, when-not-present). */
  readonly generatesUnasked: boolean;

  constructor(keys: ClientNameKeys = {}) {
    this.replaceMode = modeOf(keys["ddns-replace-client-name"]);
    this.generatesUnasked =
      this.replaceMode === ReplaceClientName.ALWAYS ||
      this.replaceMode === ReplaceClientName.WHEN_NOT_PRESENT;
    this.generatedPrefix = keys["ddns-generated-prefix"] ?? DEFAULT_PREFIX;
    this.qualifyingSuffix = keys["ddns-qualifying-suffix"] ?? "";
    const set = keys["hostname-char-set"] ?? DEFAULT_CHAR_SET;
    this.sanitizer = set === "" ? null : posixToRegExp(set);
    this.replacement = keys["hostname-char-replacement"] ?? "";
  }

  /** The subnet's keys over the global ones; the global object itself when the subnet sets none. */
  static resolve(
    subnet: ClientNameKeys,
    global: ClientNameKeys,
    globalParams: ClientNameParams,
  ): ClientNameParams {
    if (
      subnet["ddns-replace-client-name"] === undefined &&
      subnet["ddns-generated-prefix"] === undefined &&
      subnet["ddns-qualifying-suffix"] === undefined &&
      subnet["hostname-char-set"] === undefined &&
      subnet["hostname-char-replacement"] === undefined
    ) {
      return globalParams;
    }
    const pick = <K extends keyof ClientNameKeys>(k: K): ClientNameKeys[K] =>
      subnet[k] ?? global[k];
    return new ClientNameParams({
      "ddns-replace-client-name": pick("ddns-replace-client-name"),
      "ddns-generated-prefix": pick("ddns-generated-prefix"),
      "ddns-qualifying-suffix": pick("ddns-qualifying-suffix"),
      "hostname-char-set": pick("hostname-char-set"),
      "hostname-char-replacement": pick("hostname-char-replacement"),
    });
  }

  /** Replaces what `hostname-char-set` matches (Kea's StringSanitizer::scrub). */
  scrub(s: string): string {
    const re = this.sanitizer;
    if (re === null) return s;
    re.lastIndex = 0;
    return s.replace(re, this.replacement);
  }

  /** Kea's D2ClientMgr::qualifyName: the suffix appended, the trailing dot added or removed. */
  qualify(name: string, trailingDot: boolean): string {
    let s = name;
    const suffix = this.qualifyingSuffix;
    if (suffix !== "") {
      if (s.length > 0 && !s.endsWith(".")) s += ".";
      s += suffix;
    }
    if (trailingDot) {
      if (s.length > 0 && !s.endsWith(".")) s += ".";
    } else if (s.endsWith(".")) {
      s = s.slice(0, -1);
    }
    return s;
  }

  /** Kea's generateFqdn: "<prefix>-198-51-100-10" (v6: ':' -> '-'), qualified. */
  generate(addressText: string, trailingDot: boolean): string {
    const sep = addressText.includes(":") ? /:/g : /\./g;
    return this.qualify(`${this.generatedPrefix}-${addressText.replace(sep, "-")}`, trailingDot);
  }
}

// ---- domain names ------------------------------------------------------------------------------

const MAX_LABEL = 63;
const MAX_WIRE = 255;

/** A domain name as labels (raw bytes as latin1 text) and whether it ends with the root. */
export interface DomainName {
  labels: string[];
  full: boolean;
}

/**
 * A domain name in text form (isc::dns::Name): labels split at unescaped dots, `\X` and `\DDD`
 * escapes; null when it is not a valid name (an empty label, a label over 63 bytes, more than
 * 255 bytes in wire form). "" is the empty partial name; "." the root (full, no label).
 */
export function parseTextName(text: string): DomainName | null {
  if (text === "") return { labels: [], full: false };
  if (text === ".") return { labels: [], full: true };
  const labels: string[] = [];
  let cur = "";
  let full = false;
  let wire = 1;
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === ".") {
      if (cur === "") return null;
      labels.push(cur);
      wire += cur.length + 1;
      cur = "";
      if (i === text.length - 1) full = true;
      continue;
    }
    if (c === "\\") {
      i++;
      if (i >= text.length) return null;
      const d = text.slice(i, i + 3);
      if (/^[0-9]{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) return null;
        c = String.fromCharCode(v);
        i += 2;
      } else {
        c = text[i]!;
      }
    }
    cur += c;
    if (cur.length > MAX_LABEL) return null;
  }
  if (cur !== "") {
    labels.push(cur);
    wire += cur.length + 1;
  }
  if (wire > MAX_WIRE) return null;
  return { labels, full };
}

/**
 * A domain name in wire form (RFC 1035 labels, no compression), to the end of the buffer: full
 * when it ends with the root label, partial otherwise (RFC 4702/4704); null when malformed.
 */
export function parseWireName(data: Uint8Array, start: number): DomainName | null {
  const labels: string[] = [];
  let i = start;
  let wire = 0;
  while (i < data.length) {
    const len = data[i]!;
    if (len === 0) {
      if (i !== data.length - 1) return null;
      return wire + 1 > MAX_WIRE ? null : { labels, full: true };
    }
    if (len > MAX_LABEL || i + 1 + len > data.length) return null;
    labels.push(Buffer.from(data.subarray(i + 1, i + 1 + len)).toString("latin1"));
    wire += len + 1;
    i += len + 1;
  }
  return wire + 1 > MAX_WIRE ? null : { labels, full: false };
}

/** One label as isc::dns::Name::toText writes it: special characters escaped. */
function labelText(label: string): string {
  let out = "";
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const ch = label[i]!;
    if (c <= 0x20 || c >= 0x7f) out += "\\" + String(c).padStart(3, "0");
    else if (ch === "." || ch === ";" || ch === '"' || ch === "(" || ch === ")") out += "\\" + ch;
    else if (ch === "\\" || ch === "@" || ch === "$") out += "\\" + ch;
    else out += ch;
  }
  return out;
}

/** The text form: "host.example.org." when full, "host" when partial, "." for the root. */
export function nameText(n: DomainName): string {
  if (n.labels.length === 0) return n.full ? "." : "";
  let s = "";
  for (let i = 0; i < n.labels.length; i++) s += (i > 0 ? "." : "") + labelText(n.labels[i]!);
  return n.full ? s + "." : s;
}

/** The wire form: labels, and the root label when full. */
export function nameWire(n: DomainName): Buffer {
  let size = n.full ? 1 : 0;
  for (const l of n.labels) size += l.length + 1;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const l of n.labels) {
    out[o++] = l.length;
    o += out.write(l, o, "latin1");
  }
  if (n.full) out[o] = 0;
  return out;
}

/** Lower-cases every label (isc::dns::Name built with downcase, as Kea's FQDN options are). */
function lowerName(n: DomainName): DomainName {
  return { labels: n.labels.map(asciiLower), full: n.full };
}

// ---- the names ---------------------------------------------------------------------------------

/** What goes back to the client and into the lease, before a name is generated. */
export interface ClientName {
  /** 12 (Host Name), 81 (DHCPv4 Client FQDN) or 39 (DHCPv6 Client FQDN). */
  code: 12 | 81 | 39;
  /**
   * The lease's hostname: option 12's value ("" for "."), an FQDN's text ("" when empty).
   * Empty = a name is generated from the leased address once it is known.
   */
  hostname: string;
  /** The FQDN answer's flags (S clear, N set, O, E carried) and RCODEs (DHCPv4 only). */
  flags: number;
  rcode: number;
  /** The FQDN answer's name; null for option 12 (its value is `hostname`). */
  fqdn: DomainName | null;
}

const TRIM = /^[ \b\f\n\r\t]+|[ \b\f\n\r\t]+$/g;

/** Labels of a text name counting the root, as OptionDataTypeUtil::getLabelCount; -1 invalid. */
function labelCount(text: string): number {
  if (text === "") return 0;
  const n = parseTextName(text);
  return n === null ? -1 : n.labels.length + 1;
}

/**
 * DHCPv4 option 12 (Kea's processHostnameOption), for DISCOVER and REQUEST: the reservation's
 * hostname when it has one, else the client's name sanitised, lower-cased and qualified when it
 * is a single label, else "." (generate) per the replace mode. null: no option 12 in the answer.
 */
export function hostnameOption4(
  clientValue: Buffer | undefined,
  reserved: string,
  p: ClientNameParams,
): ClientName | null {
  if (reserved !== "") return host12(asciiLower(p.qualify(reserved, false)));
  const mode = p.replaceMode;
  if (clientValue === undefined) return p.generatesUnasked ? host12("") : null;
  let end = clientValue.length;
  while (end > 0 && clientValue[end - 1] === 0) end--;
  let name = clientValue.toString("latin1", 0, end).replace(TRIM, "");
  const count = labelCount(name);
  if (count <= 0) return null;
  if (mode === ReplaceClientName.ALWAYS || mode === ReplaceClientName.WHEN_PRESENT || count < 2) {
    return host12("");
  }
  name = asciiLower(p.scrub(name));
  return host12(count === 2 ? p.qualify(name, false) : name);
}

function host12(hostname: string): ClientName {
  return { code: 12, hostname, flags: 0, rcode: 0, fqdn: null };
}

/** The client's FQDN option as Kea reads it; null when Kea refuses the packet. */
export interface ClientFqdn {
  flags: number;
  /** DHCPv4: RCODE1 << 8 | RCODE2. */
  rcode: number;
  name: DomainName;
}

/**
 * DHCPv4 option 81 as Kea's Option4ClientFqdn reads it: flags, two RCODE bytes, then the name in
 * wire form (E set) or ASCII text (E clear), lower-cased. null when Kea would fail to parse the
 * packet: shorter than 3 bytes, N and S both set, a malformed name.
 */
export function parseFqdn4(data: Buffer): ClientFqdn | null {
  if (data.length < 3) return null;
  const flags = data[0]!;
  if ((flags & 0x09) === 0x09) return null;
  const name =
    (flags & 0x04) !== 0
      ? parseWireName(data, 3)
      : parseTextName(data.toString("latin1", 3).replace(/\0+$/, ""));
  if (name === null) return null;
  return { flags, rcode: (data[1]! << 8) | data[2]!, name: lowerName(name) };
}

/** DHCPv6 option 39 (RFC 4704): flags then the name in wire form; null as for parseFqdn4. */
export function parseFqdn6(data: Buffer): ClientFqdn | null {
  if (data.length < 1) return null;
  const flags = data[0]!;
  if ((flags & 0x05) === 0x05) return null;
  const name = parseWireName(data, 1);
  if (name === null) return null;
  return { flags, rcode: 0, name: lowerName(name) };
}

/**
 * The FQDN answer (Kea's processClientFqdnOption / processClientFqdn with updates off): flags
 * N, O = the client's S, (v4) E carried; the reservation's hostname qualified, else the client's
 * name sanitised label by label and qualified when partial, else empty (generate) per the
 * replace mode. null when the resulting name is not a valid domain name.
 */
export function fqdnOption(
  v6: boolean,
  client: ClientFqdn,
  reserved: string,
  p: ClientNameParams,
): ClientName | null {
  const S = 0x01;
  const O = 0x02;
  const N = v6 ? 0x04 : 0x08;
  const E = 0x04;
  let flags = N | ((client.flags & S) !== 0 ? O : 0);
  if (!v6) flags |= client.flags & E;
  let name: DomainName | null;
  if (reserved !== "") {
    name = parseTextName(p.qualify(reserved, true));
  } else {
    const mode = p.replaceMode;
    if (
      mode === ReplaceClientName.ALWAYS ||
      mode === ReplaceClientName.WHEN_PRESENT ||
      client.name.labels.length === 0
    ) {
      name = { labels: [], full: false };
    } else {
      let text = client.name.labels.join(".");
      if (p.sanitizer !== null)
        text = text
          .split(".")
          .map((l) => p.scrub(l))
          .join(".");
      name = parseTextName(client.name.full ? text + "." : p.qualify(text, true));
      if (name !== null && !client.name.full) name.full = true;
    }
  }
  if (name === null) return null;
  name = lowerName(name);
  return {
    code: v6 ? 39 : 81,
    hostname: nameText(name),
    flags,
    rcode: client.rcode,
    fqdn: name,
  };
}

/** Sets the generated name in an answer (the lease keeps it as generated, the option lower-case). */
export function setGenerated(n: ClientName, generated: string): void {
  n.hostname = generated;
  if (n.fqdn !== null) n.fqdn = lowerName(parseTextName(generated) ?? { labels: [], full: false });
}

/** The option payload of an answer. */
export function answerData(n: ClientName, v4Ascii: boolean): Buffer {
  if (n.code === 12) return Buffer.from(n.hostname === "" ? "." : n.hostname, "latin1");
  const name = n.fqdn!;
  if (n.code === 39) return Buffer.concat([Buffer.of(n.flags), nameWire(name)]);
  const head = Buffer.of(n.flags, n.rcode >> 8, n.rcode & 0xff);
  return Buffer.concat([head, v4Ascii ? Buffer.from(nameText(name), "latin1") : nameWire(name)]);
}
