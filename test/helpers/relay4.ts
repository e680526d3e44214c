/** A relay agent on loopback for server tests: sends client queries with giaddr 127.0.0.1. */
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { DHO } from "../../src/dhcp/constants.ts";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { Option } from "../../src/dhcp/option.ts";
import { Pkt4 } from "../../src/dhcp/pkt4.ts";

export const RELAY = "127.0.0.1";

export class Relay4 {
  readonly socket: Socket;
  private readonly inbox: Buffer[] = [];
  private waiter: ((b: Buffer) => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("message", (m: Buffer) => {
      if (this.waiter !== null) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.inbox.push(m);
    });
  }

  static async open(): Promise<Relay4> {
    const s = createSocket("udp4");
    s.bind(0, RELAY);
    await once(s, "listening");
    return new Relay4(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends a query as a relay would and waits up to `ms` for the answer (null if none). */
  async ask(serverPort: number, query: Pkt4, ms = 1500): Promise<Pkt4 | null> {
    query.giaddr = RELAY;
    query.setHops(1);
    this.socket.send(query.pack(), serverPort, RELAY);
    const got = this.inbox.shift();
    if (got !== undefined) return Pkt4.parse(got);
    const reply = await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, ms);
      this.waiter = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
    return reply === null ? null : Pkt4.parse(reply);
  }

  close(): void {
    this.socket.close();
  }
}

export function clientQuery(
  type: number,
  mac: string,
  requested?: string,
  serverId?: string,
): Pkt4 {
  const p = Pkt4.create(type, Math.floor(Math.random() * 0xffffffff));
  p.setHWAddr(HWAddr.fromText(mac));
  const ip = (code: number, a: string) =>
    new Option(4, code, Buffer.from(a.split(".").map(Number)));
  if (requested !== undefined) p.addOption(ip(DHO.DHCP_REQUESTED_ADDRESS, requested));
  if (serverId !== undefined) p.addOption(ip(DHO.DHCP_SERVER_IDENTIFIER, serverId));
  p.addOption(new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 6, 51, 54])));
  return p;
}
