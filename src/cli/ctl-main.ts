/**
 * nestor-ctl: sends one command to a Nestor (or Kea) server's control channel and prints the
 * answer.
 *
 *   nestor-ctl --socket PATH COMMAND [--args JSON]
 *   nestor-ctl --url URL [--user U --password P] [--ca FILE] [--cert FILE --key FILE]
 *              [--insecure] [--service dhcp4] COMMAND [--args JSON]
 *
 * The exit status is the answer's result code (0 success, 1 error, 2 unsupported, 3 empty,
 * 4 conflict); 64 for a usage error, 69 when the server cannot be reached or answers something
 * that is not a control answer (HTTP 401 included).
 */
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { parseArgs } from "node:util";

const USAGE = `Usage: nestor-ctl --socket PATH COMMAND [--args JSON]
       nestor-ctl --url URL [--user U --password P] [--ca FILE] [--cert FILE --key FILE]
                  [--insecure] [--service NAME] COMMAND [--args JSON]
Options: --json prints the answer as it came; --timeout SECONDS (default 60).`;

const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

const RESULTS: Record<number, string> = {
  0: "success",
  1: "error",
  2: "unsupported",
  3: "empty",
  4: "conflict",
  401: "unauthorized",
  403: "forbidden",
};

class Unavailable extends Error {}

function usage(message: string): never {
  process.stderr.write(`nestor-ctl: ${message}\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

function sendUnix(path: string, body: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path, () => socket.write(body));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Unavailable(`no answer from ${path} within ${timeoutMs / 1000} s`));
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", (e) => reject(new Unavailable(`${path}: ${e.message}`)));
  });
}

interface HttpOptions {
  user?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
}

function sendHttp(url: URL, body: string, o: HttpOptions, timeoutMs: number): Promise<string> {
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  };
  if (o.user !== undefined) {
    const token = Buffer.from(`${o.user}:${o.password ?? ""}`).toString("base64");
    headers["Authorization"] = `Basic ${token}`;
  }
  const tls = url.protocol === "https:";
  const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
  const options = {
    method: "POST",
    headers,
    timeout: timeoutMs,
    ...(tls
      ? { ca: read(o.ca), cert: read(o.cert), key: read(o.key), rejectUnauthorized: !o.insecure }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", (e) => reject(new Unavailable(e.message)));
    };
    const req = tls
      ? httpsRequest(url, options, onResponse)
      : httpRequest(url, options, onResponse);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (e) => reject(new Unavailable(`${url.href}: ${e.message}`)));
    req.end(body);
  });
}

interface Answer {
  result: number;
  text?: string;
  arguments?: unknown;
}

function isAnswer(v: unknown): v is Answer {
  return typeof v === "object" && v !== null && typeof (v as Answer).result === "number";
}

/** A map, or Kea's HTTP list of maps. */
function answersOf(text: string): Answer[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Unavailable(`the server's answer is not JSON: ${text.slice(0, 200)}`);
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(isAnswer)) {
    throw new Unavailable(`the server's answer is not a control answer: ${text.slice(0, 200)}`);
  }
  return list;
}

function print(a: Answer): void {
  const name = RESULTS[a.result] ?? "?";
  process.stdout.write(`result: ${a.result} (${name})\n`);
  if (a.text !== undefined) process.stdout.write(`text: ${a.text}\n`);
  if (a.arguments !== undefined) {
    process.stdout.write(`arguments:\n${JSON.stringify(a.arguments, null, 2)}\n`);
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        socket: { type: "string", short: "s" },
        url: { type: "string", short: "u" },
        user: { type: "string" },
        password: { type: "string" },
        ca: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        insecure: { type: "boolean" },
        service: { type: "string" },
        args: { type: "string", short: "a" },
        json: { type: "boolean" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  const { values: o, positionals } = parsed;
  if (o.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) usage("exactly one COMMAND is needed");
  if ((o.socket === undefined) === (o.url === undefined)) usage("give --socket or --url");
  const command: Record<string, unknown> = { command: positionals[0] };
  if (o.args !== undefined) {
    try {
      command["arguments"] = JSON.parse(o.args);
    } catch (e) {
      usage(`--args is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (o.service !== undefined) command["service"] = [o.service];
  const timeout = Number(o.timeout ?? 60);
  if (!(timeout > 0)) usage("--timeout must be a positive number of seconds");
  const body = JSON.stringify(command);
  let text: string;
  try {
    if (o.socket !== undefined) text = await sendUnix(o.socket, body, timeout * 1000);
    else {
      let url: URL;
      try {
        url = new URL(o.url!);
      } catch {
        usage(`--url is not a URL: ${o.url}`);
      }
      text = await sendHttp(url, body, { ...o, insecure: o.insecure === true }, timeout * 1000);
    }
    const answers = answersOf(text);
    if (o.json === true) process.stdout.write(`${text.trim()}\n`);
    else answers.forEach(print);
    const worst = answers.map((a) => a.result).find((r) => r !== 0) ?? 0;
    return worst >= 0 && worst <= 4 ? worst : EXIT_UNAVAILABLE;
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
    process.stderr.write(`nestor-ctl: ${e.message}\n`);
    return EXIT_UNAVAILABLE;
  }
}

process.exitCode = await main();
