/**
 * A throw-away PostgreSQL server for the tests, with databases in Kea's own schema.
 *
 * `PgKea.start()` runs `initdb` into a temporary directory, then `postgres` listening on a unix
 * socket in that directory only (no TCP), as the `postgres` system user when the tests run as
 * root (initdb refuses root), as the current user otherwise. `createKeaDatabase()` makes a role
 * with a password and a database owned by it, and creates the schema with Debian's
 * `kea-admin db-init pgsql` (Kea 2.2's own script), reaching the socket directory through
 * `-h <dir>` as psql does. `pause()` / `resume()` stop and start the same server (an outage);
 * `stop()` ends it by its PID and removes the directory.
 *
 * A missing PostgreSQL or Kea installation is an error naming the Debian package, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PG_ROOT = "/usr/lib/postgresql";
export const PG_SUPERUSER = "nestor";
export const KEA_ADMIN = process.env["KEA_ADMIN"] ?? "/usr/sbin/kea-admin";

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

export interface PgKeaOptions {
  /** synchronous_commit on (durable commits, the benchmark's setting); default off. */
  synchronousCommit?: boolean;
  /** fsync on; default off (tests do not need durability against power loss). */
  fsync?: boolean;
  /** max_connections (default 100). */
  maxConnections?: number;
}

/** A database in Kea's schema and how to reach it. */
export interface KeaDatabase {
  name: string;
  user: string;
  password: string;
  /** The unix-socket directory (Kea's and Nestor's `host`). */
  host: string;
  port: number;
  /** The keys of a Kea `lease-database` / `hosts-database` map for this database. */
  keaConfig(): { type: "postgresql"; name: string; host: string; user: string; password: string };
}

export class PgKea {
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  private readonly dataDir: string;
  private readonly asRoot: boolean;
  private readonly options: PgKeaOptions;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  output = "";

  private constructor(dir: string, port: number, options: PgKeaOptions) {
    this.dir = dir;
    this.socketDir = join(dir, "sock");
    this.dataDir = join(dir, "data");
    this.port = port;
    this.options = options;
    this.asRoot = process.getuid?.() === 0;
  }

  /** Connection options for `pg` as the superuser (unix socket). */
  connection(
    database = "postgres",
    applicationName = "nestor-test",
  ): Record<string, string | number> {
    return {
      host: this.socketDir,
      port: this.port,
      user: PG_SUPERUSER,
      database,
      application_name: applicationName,
    };
  }

  private wrap(program: string, args: string[]): [string, string[]] {
    if (!this.asRoot) return [program, args];
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
  }

  static async start(options: PgKeaOptions = {}): Promise<PgKea> {
    const bin = pgBinDir();
    const dir = mkdtempSync(join(tmpdir(), "nestor-pg-"));
    const pg = new PgKea(dir, 5432, options);
    mkdirSync(pg.socketDir);
    if (pg.asRoot) {
      const uid = idOf("-u", "postgres");
      const gid = idOf("-g", "postgres");
      chownSync(dir, uid, gid);
      chownSync(pg.socketDir, uid, gid);
    }
    const [initCmd, initArgs] = pg.wrap(join(bin, "initdb"), [
      "-D",
      pg.dataDir,
      "-U",
      PG_SUPERUSER,
      "-A",
      "md5",
      "--auth-local=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const init = spawnSync(initCmd, initArgs, {
      encoding: "utf8",
      timeout: 120_000,
      env: pg.env(),
      cwd: dir,
    });
    if (init.error !== undefined || init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `initdb failed (${init.error?.message ?? init.status ?? init.signal}): ${init.stderr}${init.stdout}`,
      );
    }
    try {
      await pg.resume();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return pg;
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, LC_ALL: "C", LANG: "C" };
  }

  /** True while the postgres process runs. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (again) the server on the same data directory; resolves once it accepts connections. */
  async resume(): Promise<void> {
    if (this.running) return;
    const bin = pgBinDir();
    const [cmd, args] = this.wrap(join(bin, "postgres"), [
      "-D",
      this.dataDir,
      "-k",
      this.socketDir,
      "-c",
      "listen_addresses=",
      "-p",
      String(this.port),
      "-c",
      `fsync=${this.options.fsync === true ? "on" : "off"}`,
      "-c",
      `synchronous_commit=${this.options.synchronousCommit === true ? "on" : "off"}`,
      "-c",
      `max_connections=${this.options.maxConnections ?? 100}`,
    ]);
    this.output = "";
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: this.env(),
      cwd: this.dir,
    });
    this.child = child;
    child.stdout?.on("data", (b: Buffer) => (this.output += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => child.on("close", () => resolve()));
    const deadline = Date.now() + 60_000;
    while (!/ready to accept connections/.test(this.output)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await this.pause();
        throw new Error(`postgres did not start:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Stops the server, keeping its data: `immediate` (SIGQUIT, connections cut as in a crash)
   * or fast (SIGINT); SIGKILL after 20 s.
   */
  async pause(mode: "fast" | "immediate" = "fast"): Promise<void> {
    const child = this.child;
    if (child === null) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(mode === "immediate" ? "SIGQUIT" : "SIGINT");
      const done = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 20_000).unref()),
      ]);
      if (!done) {
        child.kill("SIGKILL");
        await this.exited;
      }
    }
    this.child = null;
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs SQL as the superuser with psql; returns the unaligned, tuples-only output. */
  psql(sql: string, database = "postgres"): string {
    const r = spawnSync(
      join(pgBinDir(), "psql"),
      [
        "-X",
        "-A",
        "-t",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        this.socketDir,
        "-p",
        String(this.port),
        "-U",
        PG_SUPERUSER,
        "-d",
        database,
        "-c",
        sql,
      ],
      { encoding: "utf8", timeout: 60_000, env: this.env() },
    );
    if (r.error !== undefined || r.status !== 0) {
      throw new Error(`psql failed (${r.error?.message ?? r.status}): ${r.stderr}`);
    }
    return r.stdout.trim();
  }

  /**
   * Creates role `user` (password `password`) and database `name` it owns, then Kea's schema
   * with `kea-admin db-init pgsql` as that user over the socket directory.
   */
  createKeaDatabase(name: string, user = "kea", password = "kea-secret"): KeaDatabase {
    if (!existsSync(KEA_ADMIN)) {
      throw new Error(
        `${KEA_ADMIN} not found: install the Debian package kea-admin (apt-get install -y kea-admin)`,
      );
    }
    const exists = this.psql(`SELECT 1 FROM pg_roles WHERE rolname = '${user}'`);
    if (exists !== "1") this.psql(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
    this.psql(`CREATE DATABASE "${name}" OWNER "${user}"`);
    const r = spawnSync(
      KEA_ADMIN,
      [
        "db-init",
        "pgsql",
        "-u",
        user,
        "-p",
        password,
        "-n",
        name,
        "-h",
        this.socketDir,
        "-P",
        String(this.port),
      ],
      {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...this.env(), PATH: `${pgBinDir()}:${process.env["PATH"] ?? ""}` },
      },
    );
    if (r.error !== undefined || r.status !== 0) {
      throw new Error(
        `kea-admin db-init pgsql failed (${r.error?.message ?? r.status}): ${r.stderr}${r.stdout}`,
      );
    }
    const host = this.socketDir;
    const port = this.port;
    return {
      name,
      user,
      password,
      host,
      port,
      keaConfig: () => ({ type: "postgresql", name, host, user, password }),
    };
  }
}
