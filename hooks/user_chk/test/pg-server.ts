/**
 * A throw-away PostgreSQL server for the tests: initdb into a temporary directory, then
 * `postgres` listening on a unix socket in that directory only (no TCP), as the `postgres` system
 * user when the tests run as root (initdb refuses root), as the current user otherwise. `stop()`
 * ends it by its PID (fast shutdown, then SIGKILL) and removes the directory.
 *
 * A missing PostgreSQL installation is an error naming the Debian package, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PG_ROOT = "/usr/lib/postgresql";
export const SUPERUSER = "nestor";

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql (or PG_BINDIR). */
export function pgBinDir(): string {
  const env = process.env["PG_BINDIR"];
  const candidates: string[] = [];
  if (env !== undefined && env !== "") candidates.push(env);
  if (existsSync(PG_ROOT)) {
    const versions = readdirSync(PG_ROOT)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(PG_ROOT, v, "bin"));
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) return dir;
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/<version>/bin " +
      "(or PG_BINDIR): install the Debian package postgresql (apt-get install -y postgresql)",
  );
}

function idOf(flag: "-u" | "-g", user: string): number {
  const r = spawnSync("id", [flag, user], { encoding: "utf8", timeout: 5_000 });
  if (r.status !== 0) {
    throw new Error(`running as root needs the system user '${user}' (Debian package postgresql)`);
  }
  return Number(r.stdout.trim());
}

export class PgServer {
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  private readonly child: ChildProcess;
  output = "";
  private exited: Promise<void>;

  private constructor(dir: string, socketDir: string, port: number, child: ChildProcess) {
    this.dir = dir;
    this.socketDir = socketDir;
    this.port = port;
    this.child = child;
    child.stdout?.on("data", (b: Buffer) => (this.output += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => child.on("close", () => resolve()));
  }

  /** Connection options for `pg` (superuser, unix socket). */
  connection(applicationName = "user_chk-test"): Record<string, string | number> {
    return {
      host: this.socketDir,
      port: this.port,
      user: SUPERUSER,
      database: "postgres",
      application_name: applicationName,
    };
  }

  static async start(): Promise<PgServer> {
    const bin = pgBinDir();
    const dir = mkdtempSync(join(tmpdir(), "user-chk-pg-"));
    const data = join(dir, "data");
    const socketDir = join(dir, "sock");
    mkdirSync(socketDir);
    // As root, the server runs as postgres: it must own the directory; setpriv execs the
    // program, so the PID we hold is the server's own.
    const asRoot = process.getuid?.() === 0;
    const wrap = (program: string, args: string[]): [string, string[]] => {
      if (!asRoot) return [program, args];
      return [
        "setpriv",
        [
          `--reuid=${idOf("-u", "postgres")}`,
          `--regid=${idOf("-g", "postgres")}`,
          "--clear-groups",
          "--",
          program,
          ...args,
        ],
      ];
    };
    if (asRoot) {
      const uid = idOf("-u", "postgres");
      const gid = idOf("-g", "postgres");
      chownSync(dir, uid, gid);
      chownSync(socketDir, uid, gid);
    }
    const env = { ...process.env, LC_ALL: "C", LANG: "C" };
    const [initCmd, initArgs] = wrap(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      SUPERUSER,
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const init = spawnSync(initCmd, initArgs, { encoding: "utf8", timeout: 60_000, env, cwd: dir });
    if (init.error !== undefined) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `cannot run ${initCmd} (util-linux's setpriv when root): ${init.error.message}`,
      );
    }
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `initdb failed (${init.status ?? init.signal}): ${init.stderr}${init.stdout}`,
      );
    }
    const port = 5432;
    const [cmd, args] = wrap(join(bin, "postgres"), [
      "-D",
      data,
      "-k",
      socketDir,
      "-c",
      "listen_addresses=",
      "-p",
      String(port),
      "-c",
      "fsync=off",
    ]);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env, cwd: dir });
    const server = new PgServer(dir, socketDir, port, child);
    const deadline = Date.now() + 30_000;
    while (!/ready to accept connections/.test(server.output)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`postgres did not start:\n${server.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  /** Fast shutdown by PID (SIGINT), SIGKILL after 10 s; then the directory goes. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGINT");
      const done = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref()),
      ]);
      if (!done) {
        this.child.kill("SIGKILL");
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
