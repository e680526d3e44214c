import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { ControlAnswer } from "../../../src/hooks/types.ts";
import { dora, httpRaw, mac, startBed, unixCommand, unixRaw } from "./helpers.ts";

const opts = { limits: { idleTimeoutMs: 300, maxRequestBytes: 64 * 1024 } };

test("unix socket: malformed JSON, a non-map, an unknown command and unknown keys get result 1 or 2", async () => {
  const bed = await startBed({}, opts);
  try {
    const raw = async (text: string, end = false) =>
      JSON.parse(await unixRaw(bed.socketPath, text, end)) as ControlAnswer;
    assert.equal((await raw('{"command": "version-get", }')).result, 1);
    assert.match((await raw('{"command": tru}')).text!, /invalid JSON/);
    assert.deepEqual(await raw('"version-get"'), {
      result: 1,
      text: "invalid command: expected a JSON map",
    });
    assert.deepEqual(await raw("[1, 2]"), { result: 1, text: "invalid command: expected map" });
    assert.deepEqual(await raw('{"arguments": {}}'), {
      result: 1,
      text: "invalid command: missing command",
    });
    assert.deepEqual(await raw('{"command": 1}'), {
      result: 1,
      text: "invalid command: command name is not a string",
    });
    assert.deepEqual(await raw('{"command": "version-get", "extra": 1}'), {
      result: 1,
      text: "invalid command: unsupported parameter 'extra'",
    });
    assert.deepEqual(await raw('{"command": "no-such-thing"}'), {
      result: 2,
      text: "'no-such-thing' command not supported.",
    });
    // A client that half-closes after an incomplete command still gets an answer.
    assert.equal((await raw('{"command": "version-get"', true)).result, 1);
    // Comments are accepted, as in Kea 1.9.7 and later.
    const commented = await raw('{ # a comment\n "command": /* inline */ "version-get" // end\n}');
    assert.equal(commented.result, 0);
    assert.equal((await dora(bed, mac(1)))?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("a command split over several writes is answered once it is complete", async () => {
  const bed = await startBed({}, opts);
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(bed.socketPath, () => {
        s.write('{"command": "stat');
        setTimeout(() => s.write('istic-get", "arguments": {"name": "a}b"}'), 50);
        setTimeout(() => s.write("}"), 100);
      });
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("close", () => resolve(Buffer.concat(chunks).toString()));
      s.on("error", reject);
    });
    assert.deepEqual(JSON.parse(answer), { result: 0, arguments: {} });
  } finally {
    await bed.close();
  }
});

/**
 * Connects and writes nothing; resolves with what the server sent and how long it took to close
 * the connection. A server that has not closed it after `capMs` fails the test (the connection
 * is then cut here, so nothing is left waiting on it).
 */
function idleClient(
  target: { path: string } | { port: number; host: string },
  capMs = 15_000,
): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t0 = Date.now();
    const s = connect(target as never);
    const cap = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server had not closed an idle connection after ${capMs} ms`));
    }, capMs);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(cap);
      resolve({ text: Buffer.concat(chunks).toString("utf8"), ms: Date.now() - t0 });
    });
  });
}

test("a client that connects and never writes is answered with a timeout and closed", async () => {
  const bed = await startBed({}, opts);
  try {
    // The idle timeout is 300 ms; the bound (15 s) only says "closed by the server's timeout".
    const unix = await idleClient({ path: bed.socketPath });
    assert.deepEqual(JSON.parse(unix.text) as ControlAnswer, {
      result: 1,
      text: "Connection over control channel timed out",
    });
    const http = await idleClient({ port: bed.httpPort, host: "127.0.0.1" });
    assert.equal(http.text, "", "an idle HTTP connection is closed without an answer");
  } finally {
    await bed.close();
  }
});

test("oversized commands are refused on both transports and the connection closed", async () => {
  const bed = await startBed({}, opts);
  try {
    const big = JSON.stringify({ command: "config-test", arguments: { x: "a".repeat(100_000) } });
    const unix = JSON.parse(await unixRaw(bed.socketPath, big)) as ControlAnswer;
    assert.equal(unix.result, 1);
    assert.match(unix.text!, /too large/);
    const http = await httpRaw(bed.httpPort, big);
    assert.equal(http.status, 413);
    assert.equal((await dora(bed, mac(2)))?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("HTTP: only POST of application/json; bad JSON is a 400; service must name this server", async () => {
  const bed = await startBed({}, opts);
  try {
    assert.equal((await httpRaw(bed.httpPort, "", { method: "GET" })).status, 405);
    const text = await httpRaw(bed.httpPort, '{"command":"version-get"}', {
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(text.status, 415);
    const bad = await httpRaw(bed.httpPort, "{nope");
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body) as ControlAnswer).result, 400);
    const other = await httpRaw(bed.httpPort, '{"command":"version-get","service":["dhcp6"]}');
    assert.equal((JSON.parse(other.body) as ControlAnswer[])[0]!.result, 1);
    const mine = await httpRaw(bed.httpPort, '{"command":"version-get","service":["dhcp4"]}');
    assert.equal((JSON.parse(mine.body) as ControlAnswer[])[0]!.result, 0);
  } finally {
    await bed.close();
  }
});

test("many concurrent clients on both transports all get their answer while DHCP is served", async () => {
  const bed = await startBed({}, opts);
  try {
    const n = 150;
    const work: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      work.push(unixCommand(bed.socketPath, { command: "status-get" }).then((a) => a.result));
      work.push(
        httpRaw(bed.httpPort, '{"command":"status-get"}').then(
          (r) => (JSON.parse(r.body) as ControlAnswer[])[0]!.result,
        ),
      );
    }
    const ack = dora(bed, mac(3));
    const results = await Promise.all(work);
    assert.deepEqual(new Set(results), new Set([0]));
    assert.equal((await ack)?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("the unix socket is owner-only, and a stale socket file is replaced", async () => {
  const first = await startBed({}, opts);
  const dir = first.dir;
  try {
    assert.equal(statSync(first.socketPath).mode & 0o777, 0o600);
  } finally {
    await first.close();
  }
  // A socket file left by a process that died: bound, then its listener gone without unlink.
  const stale = join(dir, "stale.sock");
  const dead = spawn(process.execPath, [
    "-e",
    `require("node:net").createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, "SIGKILL"))`,
  ]);
  await once(dead, "exit");
  assert.ok(existsSync(stale));
  const bed = await startBed(
    { "control-socket": { "socket-type": "unix", "socket-name": stale } },
    opts,
  );
  try {
    assert.ok(bed.channel.endpoints.unix.includes(stale));
    assert.equal((await unixCommand(stale, { command: "version-get" })).result, 0);
  } finally {
    await bed.close();
  }
});

test("a socket path held by a live server is not taken over", async () => {
  const bed = await startBed({}, opts);
  try {
    const second = await startBed(
      { "control-socket": { "socket-type": "unix", "socket-name": bed.socketPath } },
      opts,
    );
    try {
      assert.deepEqual(second.channel.endpoints.unix, []);
    } finally {
      await second.close();
    }
    assert.equal((await unixCommand(bed.socketPath, { command: "version-get" })).result, 0);
  } finally {
    await bed.close();
  }
});

test("HTTP basic authentication: no or wrong credentials get 401, users from files work", async () => {
  const bed0 = await startBed({}, opts);
  const dir = bed0.dir;
  await bed0.close();
  writeFileSync(join(dir, "pw"), "filed:secret2\n");
  const bed = await startBed(
    {
      "control-sockets": [
        {
          "socket-type": "http",
          "socket-port": 0,
          authentication: {
            type: "basic",
            realm: "nestor",
            directory: dir,
            clients: [{ user: "admin", password: "secret" }, { "password-file": "pw" }],
          },
        },
      ],
    },
    opts,
  );
  const port = bed.channel.endpoints.http[0]!.port;
  const basic = (u: string) => ({ Authorization: `Basic ${Buffer.from(u).toString("base64")}` });
  try {
    const none = await httpRaw(port, '{"command":"version-get"}');
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.body), { result: 401, text: "Unauthorized" });
    assert.match(String(none.headers["www-authenticate"]), /Basic realm="nestor"/);
    const wrong = await httpRaw(port, '{"command":"version-get"}', {
      headers: basic("admin:nope"),
    });
    assert.equal(wrong.status, 401);
    for (const user of ["admin:secret", "filed:secret2"]) {
      const good = await httpRaw(port, '{"command":"version-get"}', { headers: basic(user) });
      assert.equal(good.status, 200, user);
    }
  } finally {
    await bed.close();
  }
});

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("HTTPS with a certificate: commands over TLS", { skip: !haveOpenssl() }, async () => {
  const bed0 = await startBed({}, opts);
  const dir = bed0.dir;
  await bed0.close();
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
      ...["-nodes", "-days", "2", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ],
    { stdio: "ignore" },
  );
  const bed = await startBed(
    {
      "control-sockets": [
        {
          "socket-type": "https",
          "socket-port": 0,
          "cert-file": join(dir, "cert.pem"),
          "key-file": join(dir, "key.pem"),
        },
      ],
    },
    opts,
  );
  try {
    const { port, tls } = bed.channel.endpoints.http[0]!;
    assert.equal(tls, true);
    const { readFileSync } = await import("node:fs");
    const reply = await httpRaw(port, '{"command":"version-get"}', {
      tls: { ca: readFileSync(join(dir, "cert.pem")) },
    });
    assert.equal(reply.status, 200);
    assert.equal((JSON.parse(reply.body) as ControlAnswer[])[0]!.result, 0);
  } finally {
    await bed.close();
  }
});
