/**
 * The server's DUID (option 2), as Kea's `server-id` configures it: type LLT (default), EN or LL,
 * with the configured identifier, time, hardware type and enterprise id, or generated values.
 * A generated DUID is kept in `<data-directory>/kea-dhcp6-serverid` (Kea's file name and text
 * form, "00:01:00:01:...") when `persist` is true, so the server keeps its identity across
 * restarts; the file is used again as long as it agrees with the configured type and identifier.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DUID, DUID_TIME_EPOCH, DuidType } from "../dhcp/duid.ts";
import { decodeFormattedHex, toColonHex } from "../dhcp/ioaddress.ts";
import type { ServerId } from "../dhcpsrv/config/types.ts";

export const SERVER_ID_FILE = "kea-dhcp6-serverid";
/** ISC's enterprise number, Kea's default for DUID-EN. */
const ISC_ENTERPRISE_ID = 2495;
const HTYPE_ETHER = 1;

export interface ServerIdOptions {
  config: ServerId;
  /** Where the generated DUID is kept; no file when undefined. */
  dataDirectory: string | undefined;
  /** A hardware address of this machine (for LLT/LL), or null: random bytes then. */
  hwaddr: Buffer | null;
  /** Seconds since the epoch. */
  now?: number;
}

/** The server DUID: from the file when it agrees with the configuration, else generated. */
export function serverDuid(o: ServerIdOptions): DUID {
  const file =
    o.dataDirectory === undefined ? undefined : path.join(o.dataDirectory, SERVER_ID_FILE);
  const c = o.config;
  if (file !== undefined && c.persist) {
    const stored = readDuid(file);
    if (stored !== null && agrees(stored, c)) return stored;
  }
  const duid = generate(o);
  if (file !== undefined && c.persist) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, duid.toText() + "\n");
    } catch {
      // A read-only data directory: the DUID is used for this run only, as Kea does.
    }
  }
  return duid;
}

function readDuid(file: string): DUID | null {
  try {
    return DUID.fromText(fs.readFileSync(file, "utf8").trim());
  } catch {
    return null;
  }
}

const TYPES: Record<ServerId["type"], number> = {
  LLT: DuidType.DUID_LLT,
  EN: DuidType.DUID_EN,
  LL: DuidType.DUID_LL,
};

function agrees(d: DUID, c: ServerId): boolean {
  const info = d.describe();
  if (info.type !== TYPES[c.type]) return false;
  const id = c.identifier === "" ? null : decodeFormattedHex(c.identifier);
  switch (info.type) {
    case DuidType.DUID_LLT:
      return (
        (id === null || id.equals(info.linkLayer)) &&
        (c.time === 0 || c.time === info.time) &&
        (c.htype === 0 || c.htype === info.htype)
      );
    case DuidType.DUID_LL:
      return (
        (id === null || id.equals(info.linkLayer)) && (c.htype === 0 || c.htype === info.htype)
      );
    case DuidType.DUID_EN:
      return (
        (id === null || id.equals(info.identifier)) &&
        (c["enterprise-id"] === 0 || c["enterprise-id"] === info.enterpriseId)
      );
    default:
      return false;
  }
}

function generate(o: ServerIdOptions): DUID {
  const c = o.config;
  const id = c.identifier === "" ? null : decodeFormattedHex(c.identifier);
  const out: number[] = [];
  const u16 = (v: number): void => void out.push((v >>> 8) & 255, v & 255);
  const u32 = (v: number): void =>
    void out.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const link = id ?? o.hwaddr ?? randomBytes(6);
  switch (c.type) {
    case "EN":
      u16(DuidType.DUID_EN);
      u32(c["enterprise-id"] !== 0 ? c["enterprise-id"] : ISC_ENTERPRISE_ID);
      out.push(...(id ?? randomBytes(6)));
      break;
    case "LL":
      u16(DuidType.DUID_LL);
      u16(c.htype !== 0 ? c.htype : HTYPE_ETHER);
      out.push(...link);
      break;
    default: {
      u16(DuidType.DUID_LLT);
      u16(c.htype !== 0 ? c.htype : HTYPE_ETHER);
      const now = o.now ?? Math.floor(Date.now() / 1000);
      u32(c.time !== 0 ? c.time : (now - DUID_TIME_EPOCH) >>> 0);
      out.push(...link);
    }
  }
  return new DUID(Buffer.from(out));
}

/** The DUID as Kea writes it, for log lines. */
export function duidText(d: Uint8Array): string {
  return toColonHex(d);
}
