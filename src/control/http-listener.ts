/**
 * The HTTP and HTTPS control socket (Kea 2.7.2 and later: `socket-type` http or https): `POST /`
 * with a JSON command, answered with Kea's one-element list `[ {result, text, arguments} ]`;
 * authentication and HTTP-level refusals are one map `{ "result": 401, "text": "Unauthorized" }`.
 * Optional basic authentication (`authentication.clients`), TLS with node:https when certificate
 * files are configured.
 *
 * Beside the commands, three GET endpoints: `/health` (the process answers: always 200) and
 * `/ready` (200 when the server is configured, its sockets are open, its last lease write
 * succeeded and it is not dhcp-disabled, else 503 with the reason), both without authentication
 * (a load balancer or an orchestrator probes them), and `/metrics` (Prometheus text, metrics.ts),
 * behind the socket's authentication when it has one.
 */
import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:net";
import { resolve } from "node:path";
import type { ControlSocket } from "../dhcpsrv/config/types.ts";
import type { Logger } from "../log/logger.ts";
import { CONTROL_RESULT_ERROR, createAnswer } from "./answer.ts";
import type { CommandMgr } from "./command-mgr.ts";
import { JsonFeed } from "./json-feed.ts";
import type { MetricsExporter } from "./metrics.ts";
import { CLOSE_GRACE_MS, type ChannelLimits } from "./limits.ts";

export const DEFAULT_HTTP_ADDRESS = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 8000;

/** True when the socket is served with TLS: https, or certificate files given. */
export function usesTls(s: ControlSocket): boolean {
  return (
    s["socket-type"] === "https" ||
    s["cert-file"] !== undefined ||
    s["key-file"] !== undefined ||
    s["trust-anchor"] !== undefined
  );
}

interface Credentials {
  realm: string;
  /** "user:password" of every client, as bytes. */
  accepted: Buffer[];
}

/** Reads `authentication`: clients by user/password or from files in `directory`. */
export function readCredentials(s: ControlSocket, baseDir: string): Credentials | null {
  const auth = s.authentication;
  if (auth === undefined) return null;
  const dir = resolve(baseDir, auth.directory ?? "");
  const read = (f: string) => readFileSync(resolve(dir, f), "utf8").split(/\r?\n/)[0]!;
  const accepted = (auth.clients ?? []).map((c, i) => {
    let user = c.user ?? (c["user-file"] !== undefined ? read(c["user-file"]) : undefined);
    let password = c.password;
    if (c["password-file"] !== undefined) {
      const text = read(c["password-file"]);
      // A password file alone holds "user:password" (Kea).
      if (user === undefined && text.includes(":")) {
        user = text.slice(0, text.indexOf(":"));
        password = text.slice(text.indexOf(":") + 1);
      } else password = text;
    }
    if (user === undefined || user === "") throw new Error(`authentication client #${i}: no user`);
    if (user.includes(":")) throw new Error(`authentication client #${i}: user contains ':'`);
    return Buffer.from(`${user}:${password ?? ""}`);
  });
  return { realm: auth.realm ?? "", accepted };
}

function authorized(header: string | undefined, credentials: Credentials): boolean {
  if (header === undefined || !/^basic /i.test(header)) return false;
  const given = Buffer.from(header.slice(6).trim(), "base64");
  let ok = false;
  for (const c of credentials.accepted) {
    // Every entry is compared, in constant time per entry, so timing says nothing.
    if (c.length === given.length && timingSafeEqual(c, given)) ok = true;
  }
  return ok;
}

export class HttpListener {
  readonly address: string;
  private readonly server: Server;

  private constructor(server: Server, address: string) {
    this.server = server;
    this.address = address;
  }

  /** The port actually listened on (socket-port 0 picks one). */
  get port(): number {
    const a = this.server.address();
    return typeof a === "object" && a !== null ? a.port : 0;
  }

  static async open(
    s: ControlSocket,
    baseDir: string,
    serviceName: string,
    mgr: CommandMgr,
    limits: ChannelLimits,
    log: Logger,
    probes?: Probes,
  ): Promise<HttpListener> {
    const credentials = readCredentials(s, baseDir);
    const handler = (req: IncomingMessage, res: ServerResponse) =>
      handle(req, res, { mgr, limits, credentials, serviceName, log, probes });
    // An idle connection is closed silently by the socket's idle timeout (setTimeout below).
    // Node's request and headers timeouts (which answer 408) come later, for a request that
    // keeps trickling in: equal to the idle timeout, the two raced, and under load an idle
    // connection was sometimes answered 408 instead of closed.
    const requestTimeoutMs = limits.idleTimeoutMs + Math.max(1000, limits.idleTimeoutMs);
    const timeouts = {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.idleTimeoutMs),
    };
    let server;
    if (usesTls(s)) {
      const file = (f: string | undefined, what: string) => {
        if (f === undefined) throw new Error(`an https control socket needs '${what}'`);
        return readFileSync(resolve(baseDir, f));
      };
      const ca = s["trust-anchor"] === undefined ? undefined : file(s["trust-anchor"], "");
      const required = s["cert-required"] !== false && ca !== undefined;
      server = createHttpsServer(
        {
          ...timeouts,
          cert: file(s["cert-file"], "cert-file"),
          key: file(s["key-file"], "key-file"),
          ca,
          requestCert: required,
          rejectUnauthorized: required,
        },
        handler,
      );
    } else {
      server = createHttpServer(timeouts, handler);
    }
    server.maxConnections = limits.maxConnections;
    server.setTimeout(limits.idleTimeoutMs);
    const address = s["socket-address"] ?? DEFAULT_HTTP_ADDRESS;
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(s["socket-port"] ?? DEFAULT_HTTP_PORT, address, () => {
        server.off("error", fail);
        done();
      });
    });
    server.on("error", (e) => log.error("COMMAND_SOCKET_ERROR", address, e.message));
    return new HttpListener(server, address);
  }

  /** Stops accepting; requests in progress get their answer, idle connections are closed. */
  async close(): Promise<void> {
    const server = this.server as Server & {
      closeIdleConnections?: () => void;
      closeAllConnections?: () => void;
    };
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeIdleConnections?.();
    // A client that holds its connection without finishing a request does not hold us up.
    const grace = setTimeout(() => server.closeAllConnections?.(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(grace);
  }
}

/** What the GET endpoints read. */
export interface Probes {
  readiness(): { ready: boolean; reason: string };
  metrics: MetricsExporter;
}

interface Context {
  mgr: CommandMgr;
  limits: ChannelLimits;
  credentials: Credentials | null;
  serviceName: string;
  log: Logger;
  probes: Probes | undefined;
}

function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** GET /health and /ready (no authentication); true when the request was one of them. */
function probe(req: IncomingMessage, res: ServerResponse, path: string, ctx: Context): boolean {
  if (ctx.probes === undefined || (path !== "/health" && path !== "/ready")) return false;
  req.resume();
  if (path === "/health") {
    send(res, 200, { status: "alive" });
  } else {
    const { ready, reason } = ctx.probes.readiness();
    send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", reason });
  }
  return true;
}

function metrics(req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  req.resume();
  const exporter = ctx.probes!.metrics;
  exporter.scrape().then(
    (text) => sendText(res, 200, exporter.contentType, text),
    (e: unknown) => refuse(res, 500, `Internal Server Error: ${String(e)}`),
  );
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  };
  if (close) headers["Connection"] = "close";
  res.writeHead(status, headers);
  res.end(text);
}

/** An HTTP-level refusal: one map, not a list (Kea). */
function refuse(res: ServerResponse, status: number, text: string, close = false): void {
  send(res, status, { result: status, text }, close);
}

function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  const get = req.method === "GET";
  const path = get ? (req.url ?? "/").split("?")[0]! : "/";
  if (get && probe(req, res, path, ctx)) return;
  if (ctx.credentials !== null && !authorized(req.headers.authorization, ctx.credentials)) {
    res.setHeader("WWW-Authenticate", `Basic realm=${JSON.stringify(ctx.credentials.realm)}`);
    req.resume();
    return refuse(res, 401, "Unauthorized");
  }
  if (get && path === "/metrics" && ctx.probes !== undefined) return metrics(req, res, ctx);
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    req.resume();
    return refuse(res, 405, "Method Not Allowed: send the command with POST");
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    req.resume();
    return refuse(res, 415, "Unsupported Media Type: the command must be application/json");
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ctx.limits.maxRequestBytes) {
    return refuse(
      res,
      413,
      `Payload Too Large: more than ${ctx.limits.maxRequestBytes} bytes`,
      true,
    );
  }
  const feed = new JsonFeed();
  let tooLarge = false;
  req.on("data", (chunk: Buffer) => {
    if (tooLarge) return;
    feed.push(chunk);
    if (feed.bytes > ctx.limits.maxRequestBytes) {
      tooLarge = true;
      refuse(res, 413, `Payload Too Large: more than ${ctx.limits.maxRequestBytes} bytes`, true);
      req.destroy();
    }
  });
  req.on("end", () => {
    if (tooLarge) return;
    void answer(feed, res, ctx);
  });
  req.on("error", () => res.destroy());
}

async function answer(feed: JsonFeed, res: ServerResponse, ctx: Context): Promise<void> {
  let value: unknown;
  try {
    if (feed.error !== null) throw new Error(feed.error);
    value = JSON.parse(feed.text);
  } catch (e) {
    return refuse(res, 400, `Bad Request: ${e instanceof Error ? e.message : String(e)}`);
  }
  const service = serviceOf(value);
  if (service !== undefined && service.length > 0 && !service.includes(ctx.serviceName)) {
    const text = `this server is the '${ctx.serviceName}' service; it does not serve ${JSON.stringify(service)}`;
    return send(res, 200, [createAnswer(CONTROL_RESULT_ERROR, text)]);
  }
  const result = await ctx.mgr.processCommand(value);
  send(res, 200, [result]);
}

function serviceOf(value: unknown): unknown[] | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const s = (value as { service?: unknown }).service;
  return Array.isArray(s) ? s : undefined;
}
