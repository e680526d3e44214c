#!/usr/bin/python3
"""A DHCPv4 client (or relay agent) that writes its queries as Ethernet frames and reads the
replies as frames, built with scapy (Debian's python3-scapy), for the raw-socket tests. Run inside
the client's network namespace:

    raw4_client.py '{"iface": "veth0", "queries": [{...}, ...]}'

Each query gives the frame: "eth_src", "eth_dst", "ip_src", "ip_dst", "sport" (68), "dport" (67);
and the BOOTP message: "xid", "mac" (chaddr), "flags", "ciaddr", "giaddr", "hops", "options"
([code, hex] in order; END is added; zero padding to 300 octets). No address needs to be
configured: nothing answers ARP for the addresses the frames use, so a reply reaches the sniffer
only when the server writes it as a frame to our Ethernet address.

The queries go one after the other; for each, the first frame with a BOOTREPLY of that xid (to
any UDP port) within "timeout" seconds (2) is reported. Prints one JSON object:
{"replies": [{"eth_src", "eth_dst", "ip_src", "ip_dst", "sport", "dport", "hex"} or null]}.
"""
import json
import socket
import struct
import sys
import threading

from scapy.all import IP, UDP, AsyncSniffer, Ether, Raw, conf, mac2str, raw, sendp

conf.verb = 0

BOOTP_MIN_SIZE = 300
COOKIE = b"\x63\x82\x53\x63"


def bootp(q):
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,
        1,
        6,
        q.get("hops", 0),
        q["xid"],
        0,
        q.get("flags", 0),
        socket.inet_aton(q.get("ciaddr", "0.0.0.0")),
        b"\x00" * 4,
        b"\x00" * 4,
        socket.inet_aton(q.get("giaddr", "0.0.0.0")),
        mac2str(q["mac"]) + b"\x00" * 10,
        b"",
        b"",
    )
    opts = b""
    for code, hexdata in q.get("options", []):
        data = bytes.fromhex(hexdata)
        opts += bytes([code, len(data)]) + data
    payload = header + COOKIE + opts + b"\xff"
    return payload + b"\x00" * max(0, BOOTP_MIN_SIZE - len(payload))


def frame(q):
    return (
        Ether(src=q["eth_src"], dst=q.get("eth_dst", "ff:ff:ff:ff:ff:ff"))
        / IP(src=q.get("ip_src", "0.0.0.0"), dst=q.get("ip_dst", "255.255.255.255"), ttl=64)
        / UDP(sport=q.get("sport", 68), dport=q.get("dport", 67))
        / Raw(bootp(q))
    )


def udp_payload(p):
    b = raw(p)
    ip = b[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    return ip[ihl:total][8:]


def exchange(iface, q):
    xid = q["xid"]
    started = threading.Event()

    def ours(p):
        if UDP not in p:
            return False
        data = udp_payload(p)
        return len(data) >= 8 and data[0] == 2 and struct.unpack("!I", data[4:8])[0] == xid

    sniffer = AsyncSniffer(
        iface=iface,
        filter="udp",
        lfilter=ours,
        count=1,
        timeout=q.get("timeout", 2),
        started_callback=started.set,
    )
    sniffer.start()
    started.wait(5)
    sendp(frame(q), iface=iface)
    sniffer.join()
    if not sniffer.results:
        return None
    p = sniffer.results[0]
    return {
        "eth_src": p[Ether].src,
        "eth_dst": p[Ether].dst,
        "ip_src": p[IP].src,
        "ip_dst": p[IP].dst,
        "sport": p[UDP].sport,
        "dport": p[UDP].dport,
        "hex": udp_payload(p).hex(),
    }


def main():
    args = json.loads(sys.argv[1])
    print(json.dumps({"replies": [exchange(args["iface"], q) for q in args["queries"]]}))


if __name__ == "__main__":
    main()
