/**
 * Child process for lfc.test.ts: runs a lease file cleanup (rotation, then compaction) on the
 * lease file given as argv[2] and kills itself with SIGKILL just before step argv[3].
 */
import { leaseFileSet } from "../../../../src/dhcpsrv/leases/lease-files.ts";
import {
  type LfcStep,
  rotateLeaseFile,
  runLeaseFileCleanup,
} from "../../../../src/dhcpsrv/leases/lfc.ts";

const [file, stopAt] = process.argv.slice(2) as [string, LfcStep];
const die = (step: LfcStep): void => {
  if (step === stopAt) process.kill(process.pid, "SIGKILL");
};
const set = leaseFileSet(file);
rotateLeaseFile(set, die);
runLeaseFileCleanup(set, 0, die);
