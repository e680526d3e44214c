/** A nestor-dhcp4 on loopback with its control channel, and clients for both transports. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { DHCPMessageType as T, DHO } from "../../../src/dhcp/constants.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import {
  ControlChannel,
  type ControlChannelOptions,
} from "../../../src/control/control-channel.ts";
import type { ControlAnswer, JsonObject } from "../../../src/hooks/types.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { Relay4, clientQuery } from "../../helpers/relay4.ts";
import { startForRelay } from "../../helpers/relayed-start.ts";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/control-hooks/", import.meta.url));

/** The Dhcp4 body of the test configuration; `extra` entries are merged in. */
export function body4(extra: JsonObject = {}, pool = "198.51.100.10 - 198.51.100.250"): JsonObject {
  const body: JsonObject = {
    "interfaces-config": { interfaces: ["lo"] },
    "lease-database": { type: "memfile", persist: false },
    "valid-lifetime": 4000,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        relay: { "ip-addresses": ["127.0.0.1"] },
        pools: [{ pool }],
      },
    ],
    "control-sockets": [
      { "socket-type": "unix", "socket-name": "control.sock" },
      { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 0 },
    ],
    loggers: [{ name: "kea-dhcp4", severity: "FATAL" }],
    ...extra,
  };
  // Kea 2.2's single control-socket replaces the list (the reader refuses both).
  if (extra["control-socket"] !== undefined) delete body["control-sockets"];
  return body;
}

export interface Bed {
  dir: string;
  file: string;
  server: Dhcp4Server;
  channel: ControlChannel;
  relay: Relay4;
  socketPath: string;
  httpPort: number;
  shutdowns: number[];
  close(): Promise<void>;
}

export async function startBed(
  extra: JsonObject = {},
  options: ControlChannelOptions = {},
): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), "nestor-control-"));
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(file, JSON.stringify({ Dhcp4: body4(extra) }, null, 2));
  const relay = await Relay4.open();
  const logs = new LogManager("nestor-dhcp4");
  const server = await startForRelay(relay, () =>
    Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: relay.port, logs }),
  );
  const shutdowns: number[] = [];
  const channel = await ControlChannel.start(server, {
    onShutdown: (v) => shutdowns.push(v),
    ...options,
  });
  const { unix, http } = channel.endpoints;
  return {
    dir,
    file,
    server,
    channel,
    relay,
    socketPath: unix[0] ?? "",
    httpPort: http[0]?.port ?? 0,
    shutdowns,
    async close() {
      await channel.close();
      await server.stop();
      relay.close();
    },
  };
}

/** Writes raw text to the unix socket; resolves to what the server sent before closing. */
export function unixRaw(path: string, text: string | Buffer, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(path, () => {
      if (text.length > 0) s.write(text);
      if (end) s.end();
    });
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    s.on("error", reject);
  });
}

export async function unixCommand(path: string, command: unknown): Promise<ControlAnswer> {
  return JSON.parse(await unixRaw(path, JSON.stringify(command))) as ControlAnswer;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpRaw(
  port: number,
  body: string,
  o: { headers?: Record<string, string>; method?: string; tls?: { ca: Buffer } } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const options = {
      host: "127.0.0.1",
      port,
      path: "/",
      method: o.method ?? "POST",
      headers: { "Content-Type": "application/json", ...o.headers },
      ...(o.tls === undefined ? {} : { ca: o.tls.ca, servername: "localhost" }),
    };
    const req = (o.tls === undefined ? httpRequest : httpsRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends over HTTP and unwraps Kea's one-element list. */
export async function httpCommand(port: number, command: unknown): Promise<ControlAnswer> {
  const reply = await httpRaw(port, JSON.stringify(command));
  assert.equal(reply.status, 200, reply.body);
  const list = JSON.parse(reply.body) as ControlAnswer[];
  assert.ok(Array.isArray(list) && list.length === 1, `not a one-element list: ${reply.body}`);
  return list[0]!;
}

export type Send = (command: unknown) => Promise<ControlAnswer>;

/** Both transports of a bed, by name, for tests run over each. */
export function transports(bed: Bed): [string, Send][] {
  return [
    ["unix", (c) => unixCommand(bed.socketPath, c)],
    ["http", (c) => httpCommand(bed.httpPort, c)],
  ];
}

/** DISCOVER then REQUEST through the relay; the ACK, or null when any step went unanswered. */
export async function dora(bed: Bed, mac: string, ms = 1000) {
  const offer = await bed.relay.ask(bed.server.port, clientQuery(T.DHCPDISCOVER, mac), ms);
  if (offer === null) return null;
  const sid = offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData();
  const req = clientQuery(T.DHCPREQUEST, mac, offer.yiaddr, [...sid].join("."));
  return bed.relay.ask(bed.server.port, req, ms);
}

export function mac(i: number): string {
  const hex = i.toString(16).padStart(8, "0");
  return `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
}
