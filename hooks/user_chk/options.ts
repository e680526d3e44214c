/**
 * What the library changes in a response, from a user's `bootfile` and `tftp_server`, and what
 * it reads of a DHCPv6 response (the leases granted).
 *
 * DHCPv4 (Kea's add4Options): `bootfile` replaces option 67 (boot-file-name) and fills the
 * BOOTP `file` header field; `tftp_server` replaces option 66 (tftp-server-name).
 *
 * DHCPv6: `bootfile` and `tftp_server` make option 59 (bootfile-url, RFC 5970), see bootFileUrl;
 * and, as Kea's add6Options, when the response carries a DOCSIS vendor option (17, enterprise
 * 4491), `bootfile` replaces its sub-option 33 (config-file) and `tftp_server`, when it is a
 * list of IPv6 addresses, its sub-option 32 (tftp-servers).
 */
import {
  DHCPMessageType,
  D6O,
  Option,
  type Option6IAAddr,
  type Option6IAPrefix,
  type OptionVendor,
  type Pkt4,
  type Pkt6,
  canonicalIPv6,
  ipv6FromString,
  isIPv6,
} from "nestor/dhcp";
import type { User } from "./user.ts";

export const DHO_TFTP_SERVER_NAME = 66;
export const DHO_BOOT_FILE_NAME = 67;
export const D6O_BOOTFILE_URL = 59;
export const DOCSIS_ENTERPRISE = 4491;
export const DOCSIS3_V6_TFTP_SERVERS = 32;
export const DOCSIS3_V6_CONFIG_FILE = 33;
const MAX_FILE_LEN = 128;

/** What was changed, for the debug log; `warnings` are worth an operator's attention. */
export interface Applied {
  changes: string[];
  warnings: string[];
}

/** Replaces (or adds) a DHCPv4 string option. */
function setString4(response: Pkt4, code: number, value: string): void {
  response.delAllOptions(code);
  response.addOption(new Option(4, code, Buffer.from(value, "utf8")));
}

/** Applies a user's properties to a DHCPv4 response; a null user changes nothing. */
export function apply4(response: Pkt4, user: User | null): Applied {
  const out: Applied = { changes: [], warnings: [] };
  if (user === null) return out;
  const bootfile = user.getProperty("bootfile");
  if (bootfile !== "") {
    setString4(response, DHO_BOOT_FILE_NAME, bootfile);
    const bytes = Buffer.from(bootfile, "utf8");
    if (bytes.length <= MAX_FILE_LEN) {
      response.setFile(bytes);
      out.changes.push(`boot file ${bootfile} (option 67 and file field)`);
    } else {
      out.changes.push(`boot file ${bootfile} (option 67)`);
      out.warnings.push(
        `boot file '${bootfile}' is longer than the 128-byte file field: sent in option 67 only`,
      );
    }
  }
  const tftp = user.getProperty("tftp_server");
  if (tftp !== "") {
    setString4(response, DHO_TFTP_SERVER_NAME, tftp);
    out.changes.push(`TFTP server ${tftp} (option 66)`);
  }
  return out;
}

const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is;

/**
 * The boot-file-url for a user, or null to leave the response's as it is:
 *
 * - a `bootfile` that is already a URL (`scheme://...`) is used as it is;
 * - otherwise the URL is `tftp://<tftp_server>/<bootfile>` (an IPv6 address in brackets, the
 *   bootfile's leading slashes dropped: TFTP paths are relative to the server's root);
 * - a missing part is taken from the boot-file-url the response already has (the configured
 *   default): `tftp_server` alone replaces the server of that URL, `bootfile` alone its path;
 *   when neither the user nor the response names both a server and a file, nothing changes.
 */
export function bootFileUrl(
  existing: string | null,
  bootfile: string,
  tftp: string,
): string | null {
  if (bootfile === "" && tftp === "") return null;
  if (bootfile !== "" && URL_RE.test(bootfile)) return bootfile;
  const parsed = existing === null ? null : URL_RE.exec(existing);
  const host = tftp !== "" ? urlHost(tftp) : (parsed?.[2] ?? "");
  const path = bootfile !== "" ? `/${bootfile.replace(/^\/+/, "")}` : (parsed?.[3] ?? "");
  if (host === "" || path === "" || path === "/") return null;
  const scheme = tftp === "" && parsed !== null ? parsed[1]! : "tftp";
  return `${scheme}://${host}${path}`;
}

function urlHost(server: string): string {
  const s = server.trim();
  return isIPv6(s) ? `[${canonicalIPv6(s)}]` : s;
}

// Options are told apart by their codes and methods, not with instanceof: the library must work
// whichever copy of the packet classes built the response.

function isVendor(o: Option): o is OptionVendor {
  return typeof (o as unknown as Partial<OptionVendor>).getVendorId === "function";
}

/** The DOCSIS vendor option (17, enterprise 4491) of a response, or undefined. */
function docsisVendor(response: Pkt6): OptionVendor | undefined {
  for (const o of response.getOptions(D6O.VENDOR_OPTS)) {
    if (isVendor(o) && o.getVendorId() === DOCSIS_ENTERPRISE) return o;
  }
  return undefined;
}

/** Applies a user's properties to a DHCPv6 response; a null user changes nothing. */
export function apply6(response: Pkt6, user: User | null): Applied {
  const out: Applied = { changes: [], warnings: [] };
  if (user === null) return out;
  const bootfile = user.getProperty("bootfile");
  const tftp = user.getProperty("tftp_server");
  if (bootfile === "" && tftp === "") return out;

  const current = response.getOption(D6O_BOOTFILE_URL);
  const url = bootFileUrl(
    current === undefined ? null : current.getData().toString("utf8"),
    bootfile,
    tftp,
  );
  if (url !== null) {
    response.delAllOptions(D6O_BOOTFILE_URL);
    response.addOption(new Option(6, D6O_BOOTFILE_URL, Buffer.from(url, "utf8")));
    out.changes.push(`boot-file-url ${url} (option 59)`);
  }

  const vendor = docsisVendor(response);
  if (vendor !== undefined) {
    if (bootfile !== "") {
      while (vendor.delOption(DOCSIS3_V6_CONFIG_FILE));
      vendor.addOption(new Option(6, DOCSIS3_V6_CONFIG_FILE, Buffer.from(bootfile, "utf8")));
      out.changes.push(`DOCSIS config file ${bootfile} (vendor 4491 sub-option 33)`);
    }
    if (tftp !== "") {
      const servers = tftp.split(/[\s,]+/).filter((s) => s !== "");
      if (servers.length > 0 && servers.every((s) => isIPv6(s))) {
        while (vendor.delOption(DOCSIS3_V6_TFTP_SERVERS));
        const data = Buffer.concat(servers.map((s) => ipv6FromString(s)));
        vendor.addOption(new Option(6, DOCSIS3_V6_TFTP_SERVERS, data));
        out.changes.push(`DOCSIS TFTP servers ${servers.join(",")} (vendor 4491 sub-option 32)`);
      } else {
        out.warnings.push(
          `tftp_server '${tftp}' is not a list of IPv6 addresses: DOCSIS sub-option 32 unchanged`,
        );
      }
    }
  }
  return out;
}

/**
 * The leases a DHCPv6 response grants, as the outcome file writes them: each address of an
 * IA_NA ("2001:db8:1::10") and each prefix of an IA_PD ("2001:db8:8::/60") with a non-zero
 * valid lifetime, in IAs without a failure status.
 */
export function grantedLeases6(response: Pkt6): string[] {
  const out: string[] = [];
  for (const o of response.getNonCopiedOptions()) {
    const code = o.getType();
    if (code !== D6O.IA_NA && code !== D6O.IA_PD) continue;
    const status = o.getOption(D6O.STATUS_CODE)?.getData();
    if (status !== undefined && status.length >= 2 && status.readUInt16BE(0) !== 0) continue;
    for (const s of o.getOptions()) {
      if (code === D6O.IA_NA && s.getType() === D6O.IAADDR) {
        const a = s as Option6IAAddr;
        if (a.getValid() > 0) out.push(a.getAddress());
      } else if (code === D6O.IA_PD && s.getType() === D6O.IAPREFIX) {
        const p = s as Option6IAPrefix;
        if (p.getValid() > 0) out.push(`${p.getAddress()}/${p.getLength()}`);
      }
    }
  }
  return out;
}

/** Whether a DHCPv4 response grants a lease: a DHCPACK (or, when asked, DHCPOFFER) with yiaddr. */
export function grantsLease4(response: Pkt4, recordOffers: boolean): boolean {
  const type = response.getType();
  const granting =
    type === DHCPMessageType.DHCPACK || (recordOffers && type === DHCPMessageType.DHCPOFFER);
  return granting && response.yiaddr !== "0.0.0.0";
}
