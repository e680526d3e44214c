/**
 * A local syslog socket for tests: a python3 process bound to a unix datagram socket (Node.js
 * has none) that prints each datagram it receives as one JSON string per line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

const RECEIVER = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface SyslogReceiver {
  path: string;
  /** The datagrams received so far. */
  messages(): string[];
  /** Resolves once `count` datagrams arrived (at most timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<string[]>;
  close(): void;
}

export async function startSyslogReceiver(path: string): Promise<SyslogReceiver> {
  const child: ChildProcess = spawn("/usr/bin/python3", ["-c", RECEIVER, path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const got: string[] = [];
  let ready = false;
  let rest = "";
  child.stdout!.on("data", (c: Buffer) => {
    rest += c.toString();
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line === "ready") ready = true;
      else got.push(JSON.parse(line) as string);
    }
  });
  for (let i = 0; i < 200 && !(ready && existsSync(path)); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!ready) {
    child.kill();
    throw new Error(`the syslog receiver on ${path} did not start`);
  }
  return {
    path,
    messages: () => got.slice(),
    async waitFor(count, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (got.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return got.slice();
    },
    close: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
