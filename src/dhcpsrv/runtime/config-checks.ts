/**
 * The checks of a configuration that look at the machine rather than at the document: the
 * directory of the lease file and of each unix control socket must exist (Nestor creates
 * neither: a directory missing is an operator's mistake, a typo or an unmounted volume), and the
 * interfaces named in `interfaces-config` must exist (Kea's `-t` refuses one that does not).
 * Each refusal is a ConfigFileError with file, line, key path and reason.
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { KeyPath } from "../config/kea-json.ts";
import type { ConfigSource } from "../config/source.ts";
import type { ConfigOf, ControlSocket, Family } from "../config/types.ts";

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The lease file's directory (a persisted memfile with a name; the default file's directory is
 * the server's own and is created) and each unix control socket's directory, relative paths
 * taken from the configuration file's directory.
 */
export function checkDirectories<F extends Family>(
  config: ConfigOf<F>,
  family: F,
  configFile: string,
  source: ConfigSource,
): void {
  const top = `Dhcp${family}`;
  const base = dirname(resolve(configFile));
  const db = config["lease-database"];
  if (db.type === "memfile" && db.persist && db.name !== undefined) {
    const dir = dirname(resolve(base, db.name));
    if (!isDirectory(dir)) {
      throw source.error(
        `the directory of the lease file, ${dir}, does not exist (Nestor does not create it)`,
        [top, "lease-database", "name"],
      );
    }
  }
  const sockets: [ControlSocket, KeyPath][] = [];
  if (config["control-socket"] !== undefined) {
    sockets.push([config["control-socket"], [top, "control-socket"]]);
  }
  (config["control-sockets"] ?? []).forEach((s, i) =>
    sockets.push([s, [top, "control-sockets", i]]),
  );
  for (const [s, path] of sockets) {
    if (s["socket-type"] !== "unix" || s["socket-name"] === undefined) continue;
    const dir = dirname(resolve(base, s["socket-name"]));
    if (!isDirectory(dir)) {
      throw source.error(`the directory of the control socket, ${dir}, does not exist`, [
        ...path,
        "socket-name",
      ]);
    }
  }
}

/**
 * Each interface `interfaces-config.interfaces` names ("eth0" or "eth0/198.51.100.1") is one of
 * `present`, the machine's interface names; "*" names them all.
 */
export function checkInterfacesExist<F extends Family>(
  config: ConfigOf<F>,
  family: F,
  source: ConfigSource,
  present: ReadonlySet<string>,
): void {
  config["interfaces-config"].interfaces.forEach((entry, i) => {
    if (entry === "*") return;
    const slash = entry.indexOf("/");
    const name = slash < 0 ? entry : entry.slice(0, slash);
    if (!present.has(name)) {
      throw source.error(`interface '${name}' does not exist on this system`, [
        `Dhcp${family}`,
        "interfaces-config",
        "interfaces",
        i,
      ]);
    }
  });
}
