/**
 * A DHCPv6 relay agent on loopback for server tests: wraps client messages in RELAY-FORW (link
 * address in the test subnet, the relay-source-port option so the server answers this socket's
 * port, RFC 8357) and unwraps the RELAY-REPL.
 */
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { DHCPv6MessageType, D6O } from "../../src/dhcp/constants.ts";
import { Option } from "../../src/dhcp/option.ts";
import { Pkt6, RelayInfo } from "../../src/dhcp/pkt6.ts";

export const RELAY6 = "::1";

export class Relay6 {
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

  static async open(): Promise<Relay6> {
    const s = createSocket("udp6");
    s.bind(0, RELAY6);
    await once(s, "listening");
    return new Relay6(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /**
   * Relays a client message (link address `link`, interface-id `interfaceId`) and waits up to
   * `ms` for the RELAY-REPL; returns it parsed (the client's message with `relayInfo`), or null.
   */
  async ask(
    serverPort: number,
    query: Pkt6,
    link = "2001:db8:1::1",
    interfaceId = "lo-test",
    ms = 1500,
  ): Promise<Pkt6 | null> {
    const relay = new RelayInfo(DHCPv6MessageType.DHCPV6_RELAY_FORW, 0, link, "fe80::2");
    relay.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from(interfaceId)));
    const port = Buffer.alloc(2);
    port.writeUInt16BE(this.port);
    relay.options.push(new Option(6, D6O.RELAY_SOURCE_PORT, port));
    query.addRelayInfo(relay);
    this.socket.send(query.pack(), serverPort, RELAY6);
    const got = this.inbox.shift();
    if (got !== undefined) return Pkt6.parse(got);
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
    return reply === null ? null : Pkt6.parse(reply);
  }

  close(): void {
    this.socket.close();
  }
}
