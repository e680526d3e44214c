import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  acquirePidFile,
  acquireProcessLock,
  checkPidFile,
  isProcessAlive,
  PidFileBusy,
  readPidFile,
  releasePidFile,
  releaseProcessLock,
} from "../../../src/util/pid-file.ts";

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-pidfile-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

/** A live process that is not this one (stopped by the test). */
function liveChild(t: TestContext): number {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  return child.pid!;
}

describe("pid-file", () => {
  it("isProcessAlive: this process and a running one are alive, an exited one is not", async (t) => {
    assert.equal(isProcessAlive(process.pid), true);
    assert.equal(isProcessAlive(liveChild(t)), true);
    assert.equal(isProcessAlive(await deadPid()), false);
    assert.equal(isProcessAlive(0), false);
    assert.equal(isProcessAlive(-1), false);
  });

  it("isProcessAlive: EPERM (another user's process) counts as alive", (t) => {
    t.mock.method(process, "kill", () => {
      throw Object.assign(new Error("EPERM"), { code: "EPERM" });
    });
    assert.equal(isProcessAlive(1), true);
    t.mock.restoreAll();
  });

  it("readPidFile / checkPidFile: absent, garbage, dead, ours, alive", async (t) => {
    const file = path.join(tempDir(t), "x.pid");
    assert.equal(readPidFile(file), null);
    assert.deepEqual(checkPidFile(file), { state: "absent" });
    fs.writeFileSync(file, "not a pid\n");
    assert.deepEqual(checkPidFile(file), { state: "stale", pid: null });
    const dead = await deadPid();
    fs.writeFileSync(file, `${dead}\n`);
    assert.deepEqual(checkPidFile(file), { state: "stale", pid: dead });
    fs.writeFileSync(file, `${process.pid}\n`);
    assert.deepEqual(checkPidFile(file), { state: "ours", pid: process.pid });
    const live = liveChild(t);
    fs.writeFileSync(file, `${live}`);
    assert.deepEqual(checkPidFile(file), { state: "alive", pid: live });
  });

  it("acquirePidFile writes our PID, replaces a stale file, refuses a live one", async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, "x.pid");
    acquirePidFile(file);
    assert.equal(fs.readFileSync(file, "utf8"), `${process.pid}\n`);
    acquirePidFile(file); // ours again: fine
    fs.writeFileSync(file, `${await deadPid()}\n`);
    acquirePidFile(file);
    assert.equal(readPidFile(file), process.pid);
    fs.writeFileSync(file, "garbage");
    acquirePidFile(file);
    assert.equal(readPidFile(file), process.pid);
    const live = liveChild(t);
    fs.writeFileSync(file, `${live}\n`);
    assert.throws(
      () => acquirePidFile(file),
      (e: unknown) => e instanceof PidFileBusy && e.pid === live && e.path === file,
    );
    assert.equal(readPidFile(file), live, "a live owner's file is left alone");
    releasePidFile(file);
    assert.equal(readPidFile(file), live, "release removes only our own file");
    assert.deepEqual(fs.readdirSync(dir), ["x.pid"], "no temporary file left");
    fs.writeFileSync(file, `${process.pid}\n`);
    releasePidFile(file);
    assert.equal(fs.existsSync(file), false);
  });

  it("a process lock counts holders in this process and refuses another process", (t) => {
    const file = path.join(tempDir(t), "leases.csv.nestor.pid");
    acquireProcessLock(file);
    acquireProcessLock(file);
    releaseProcessLock(file);
    assert.equal(readPidFile(file), process.pid, "still held once");
    releaseProcessLock(file);
    assert.equal(fs.existsSync(file), false);
    releaseProcessLock(file); // not held: nothing
    const live = liveChild(t);
    fs.writeFileSync(file, `${live}\n`);
    assert.throws(() => acquireProcessLock(file), PidFileBusy);
  });
});
