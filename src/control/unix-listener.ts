/**
 * The unix stream control socket (Kea's `socket-type: unix`): the client writes one JSON command,
 * the server answers with one JSON answer and closes the connection. The socket file is created
 * owner-only (0600); a stale file left by a dead server is removed, a live one is refused.
 */
import { lstatSync, chmodSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { ControlAnswer } from "../hooks/types.ts";
import { defineMessages, type Logger } from "../log/logger.ts";
import { CONTROL_RESULT_ERROR, createAnswer } from "./answer.ts";
import type { CommandMgr } from "./command-mgr.ts";
import { JsonFeed } from "./json-feed.ts";
import { CLOSE_GRACE_MS, type ChannelLimits } from "./limits.ts";

defineMessages({
  COMMAND_SOCKET_ERROR: "control socket %1: %2",
  COMMAND_SOCKET_TIMEOUT: "a control connection sent no complete command in %1 ms: closed",
});

export class UnixListener {
  readonly path: string;
  private readonly server: Server;
  private readonly connections: Set<Socket>;

  private constructor(path: string, server: Server, connections: Set<Socket>) {
    this.path = path;
    this.server = server;
    this.connections = connections;
  }

  static async open(
    path: string,
    mgr: CommandMgr,
    limits: ChannelLimits,
    log: Logger,
  ): Promise<UnixListener> {
    await removeStale(path);
    const connections = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      connections.add(socket);
      socket.once("close", () => connections.delete(socket));
      serve(socket, mgr, limits, log);
    });
    server.maxConnections = limits.maxConnections;
    // Owner-only from the start: the file is made by bind(), inside listen(), under this umask.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    server.on("error", (e) => log.error("COMMAND_SOCKET_ERROR", path, e.message));
    return new UnixListener(path, server, connections);
  }

  /**
   * Stops accepting and removes the socket file; connections in progress get their answer, for
   * up to CLOSE_GRACE_MS, then are cut.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
    const grace = setTimeout(() => {
      for (const s of this.connections) s.destroy();
    }, CLOSE_GRACE_MS);
    await closed;
    clearTimeout(grace);
  }
}

async function removeStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // no such file
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`${path} is in use by another process`);
  unlinkSync(path);
}

function serve(socket: Socket, mgr: CommandMgr, limits: ChannelLimits, log: Logger): void {
  const feed = new JsonFeed();
  let answered = false;
  const reply = (answer: ControlAnswer) => {
    if (answered) return;
    answered = true;
    socket.setTimeout(0);
    if (!socket.destroyed) socket.end(JSON.stringify(answer));
  };
  const refuse = (text: string) => reply(createAnswer(CONTROL_RESULT_ERROR, text));
  const run = () => {
    if (feed.error !== null) return refuse(feed.error);
    let value: unknown;
    try {
      value = JSON.parse(feed.text);
    } catch (e) {
      return refuse(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      feed.release();
    }
    answered = true; // from here on the command's answer is the only one
    socket.setTimeout(0);
    void mgr.processCommand(value).then((answer) => {
      if (!socket.destroyed) socket.end(JSON.stringify(answer));
    });
  };
  socket.setTimeout(limits.idleTimeoutMs);
  socket.on("data", (chunk: Buffer) => {
    if (answered) return;
    const complete = feed.push(chunk);
    if (feed.bytes > limits.maxRequestBytes) {
      refuse(`command too large: more than ${limits.maxRequestBytes} bytes`);
      socket.destroySoon();
    } else if (complete) run();
  });
  socket.on("end", () => {
    if (answered) return;
    if (feed.empty) socket.end();
    else run();
  });
  socket.on("timeout", () => {
    log.warn("COMMAND_SOCKET_TIMEOUT", limits.idleTimeoutMs);
    refuse("Connection over control channel timed out");
  });
  socket.on("error", () => socket.destroy()); // the client went away: nothing to answer
}
