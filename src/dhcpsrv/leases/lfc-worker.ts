/**
 * The lease file cleanup's compaction, run off the server's event loop.
 *
 * As a worker thread (lfc.ts `startCleanupWorker`): compacts the file set in `workerData` (v4 or
 * v6 lease files, as its `universe` says) and posts an LfcWorkerReply. As a program, with
 * kea-lfc's arguments (v4 files only, so far), so an operator can run a cleanup by hand while no
 * server runs:
 *
 *   node lfc-worker.ts -4 -x <f>.2 -i <f>.1 -o <f>.output -f <f>.completed -p <f>.pid [-c any]
 *
 * (`-c` is accepted and ignored, as kea-lfc does.) It exits 0 when done and 1 with the reason.
 */
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  type LeaseUniverse,
  type LfcResult,
  type LfcWorkerData,
  type LfcWorkerReply,
  runLeaseFileCleanup,
} from "./lfc.ts";
import type { LeaseFileSet } from "./lease-files.ts";

function compact(
  set: LeaseFileSet,
  maxRowErrors: number,
  universe: LeaseUniverse = 4,
): LfcWorkerReply {
  try {
    const result: LfcResult = runLeaseFileCleanup(set, maxRowErrors, undefined, universe);
    return { ok: true, ...result };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** Parses kea-lfc's command line into a file set (the main file is not used by the cleanup). */
export function parseLfcArguments(argv: string[]): LeaseFileSet {
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-4") continue;
    if (a === "-6") throw new Error("only DHCPv4 lease files (-4) are supported");
    const value = argv[i + 1];
    if (!["-x", "-i", "-o", "-f", "-p", "-c"].includes(a) || value === undefined) {
      throw new Error(`unexpected argument '${a}'`);
    }
    opts.set(a, value);
    i++;
  }
  const need = (flag: string): string => {
    const v = opts.get(flag);
    if (v === undefined) throw new Error(`missing ${flag}`);
    return v;
  };
  return {
    main: "",
    previous: need("-x"),
    input: need("-i"),
    output: need("-o"),
    finish: need("-f"),
    pid: need("-p"),
    owner: "",
  };
}

if (!isMainThread && parentPort !== null) {
  const data = workerData as LfcWorkerData;
  parentPort.postMessage(compact(data.set, data.maxRowErrors, data.universe ?? 4));
} else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  let reply: LfcWorkerReply;
  try {
    reply = compact(parseLfcArguments(process.argv.slice(2)), 0);
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  if (reply.ok) {
    process.stdout.write(`lease file cleanup: ${reply.leases} leases written\n`);
  } else {
    process.stderr.write(`lease file cleanup failed: ${reply.message}\n`);
    process.exitCode = 1;
  }
}
