/**
 * The tutorial library of Kea's Hooks Developer's Guide, written for Nestor in TypeScript.
 *
 * It classifies DHCPv4 clients by hardware address (interesting when the address bytes add up
 * to a multiple of 4) in pkt4_receive, keeps the text of an interesting address in the
 * request's context, and in pkt4_send writes "<hwaddr> <ipaddr>" lines to a log file. Unlike
 * the original, the file name comes from the library's configuration:
 *
 *   "hooks-libraries": [
 *     { "library": "tutorial.ts", "parameters": { "log-file": "/var/log/nestor/interesting.log" } }
 *   ]
 *
 * One standalone file: Node runs it as it is (type stripping), and "nestor/hooks" resolves to
 * the running server's own API wherever the file lives. Only Node's built-in modules and
 * "nestor/hooks" are imported.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  HOOKS_VERSION,
  NoSuchCalloutContext,
  defineMessages,
  type CalloutHandle,
  type LibraryHandle,
  type Logger,
} from "nestor/hooks";

// The DHCPv4 server passes its packets as the arguments "query4" (pkt4_receive) and "response4"
// (pkt4_send). The public API has no packet classes yet, so the library declares the little it
// reads; the server's Pkt4 has these members, and once the server declares its hook points in
// HookArguments, getArgument("query4") is typed without the explicit type parameter.
interface HardwareAddress {
  /** The address bytes (6 for Ethernet). */
  hwaddr: Uint8Array;
  toText(): string;
}
interface Query4 {
  getHWAddr(): HardwareAddress;
}
interface Response4 {
  /** The address offered or assigned to the client, dotted quad. */
  getYiaddr(): string;
}

defineMessages({
  TUTORIAL_NO_LOG_FILE: "parameter 'log-file' must be a non-empty string",
  TUTORIAL_OPEN_FAILED: "cannot open %1: %2",
  TUTORIAL_OPENED: "logging interesting clients to %1",
  TUTORIAL_CLOSED: "closed %1",
  TUTORIAL_INTERESTING: "interesting client %1",
});

// Library-wide state, like the guide's global std::fstream. Each load of the library (and each
// reload) is a fresh module instance with its own copy of these variables.
let logFile = "";
let fd: number | null = null;
let logger: Logger | null = null;

export function version(): number {
  return HOOKS_VERSION;
}

// Callouts only read and write per-request state (the handle) and append whole lines with one
// write each, so concurrent requests cannot interleave inside a line.
export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  logger = handle.createLogger("tutorial");
  const file = handle.getParameter("log-file");
  if (typeof file !== "string" || file === "") {
    logger.error("TUTORIAL_NO_LOG_FILE");
    return 1;
  }
  try {
    fd = openSync(file, "a");
  } catch (err) {
    logger.error("TUTORIAL_OPEN_FAILED", file, err instanceof Error ? err.message : String(err));
    return 1;
  }
  logFile = file;
  logger.info("TUTORIAL_OPENED", file);
  return 0;
}

// Also called when load() failed, so it closes only what is open.
export function unload(): number {
  if (fd !== null) {
    closeSync(fd);
    fd = null;
    logger?.info("TUTORIAL_CLOSED", logFile);
  }
  logger = null;
  return 0;
}

// Standard name: registered on the hook "pkt4_receive" automatically.
export function pkt4_receive(handle: CalloutHandle<"pkt4_receive">): number {
  const query4 = handle.getArgument<Query4>("query4");
  const hwaddr = query4.getHWAddr();
  // Interesting when the bytes add up to a multiple of 4 (a contrived example after all).
  let sum = 0;
  for (const byte of hwaddr.hwaddr) sum += byte;
  if (sum % 4 === 0) {
    // Kept for the next callout of this library on this request.
    handle.setContext("hwaddr", hwaddr.toText());
  }
  return 0;
}

export function pkt4_send(handle: CalloutHandle<"pkt4_send">): number {
  let hwaddr: string;
  try {
    hwaddr = handle.getContext<string>("hwaddr");
  } catch (err) {
    // Not set in pkt4_receive: the client is not interesting.
    if (err instanceof NoSuchCalloutContext) return 0;
    throw err;
  }
  const response4 = handle.getArgument<Response4>("response4");
  const line = `${hwaddr} ${response4.getYiaddr()}\n`;
  logger?.debug(50, "TUTORIAL_INTERESTING", hwaddr);
  // One synchronous write: the line is in the file before the reply leaves (the guide's flush).
  if (fd !== null) writeSync(fd, line);
  return 0;
}
