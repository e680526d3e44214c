/** Free UDP ports on ::1 for the DHCPv4-over-DHCPv6 IPC (dhcp4o6-port and the next). */
import dgram from "node:dgram";

/** A port P with P and P+1 free on ::1 (asked of the kernel, then released). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const s = dgram.createSocket("udp6");
    const port = await new Promise<number>((res) => s.bind(0, "::1", () => res(s.address().port)));
    s.close();
    if (port >= 65534) continue;
    const next = dgram.createSocket("udp6");
    const ok = await new Promise<boolean>((res) => {
      next.once("error", () => res(false));
      next.bind(port + 1, "::1", () => res(true));
    });
    next.close();
    if (ok) return port;
  }
  throw new Error("no free pair of ports on ::1");
}
