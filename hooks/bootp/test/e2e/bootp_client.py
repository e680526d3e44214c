#!/usr/bin/python3
"""A BOOTP client for the bootp library's end-to-end test, built with scapy (Debian's
python3-scapy). Run inside the client's network namespace:

    bootp_client.py '{"iface": "veth0", "queries": [{"mac": "02:..", "xid": 1}]}'

For each query it sends one BOOTREQUEST (RFC 951 header, RFC 1497 magic cookie, the given
vendor options, END, zero padding to 300 octets; "op", "truncate" (keep that many octets) and
"corrupt" ([offset, byte] pairs) make other messages) from 0.0.0.0:68 to 255.255.255.255:67 as
an Ethernet broadcast, and captures the first reply to port 68 with that transaction id. It prints
one JSON object: {"replies": [{"xid", "hex" (the UDP payload), "eth_dst", "ip_src", "ip_dst",
"sport", "dport"} or null per query]}.
"""
import json
import struct
import sys
import threading

from scapy.all import BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, conf, mac2str, raw, sendp

conf.verb = 0

BOOTP_MIN_SIZE = 300


def request(q):
    options = [tuple(o) if isinstance(o, list) else o for o in q.get("options", [])]
    bootp = BOOTP(
        op=q.get("op", 1),
        htype=1,
        hlen=6,
        hops=0,
        xid=q["xid"],
        secs=q.get("secs", 0),
        flags=q.get("flags", 0),
        chaddr=mac2str(q["mac"]) + b"\x00" * 10,
        options=b"\x63\x82\x53\x63",
    ) / DHCP(options=options + ["end"])
    payload = raw(bootp)
    payload += b"\x00" * max(0, BOOTP_MIN_SIZE - len(payload))
    if "truncate" in q:
        payload = payload[: q["truncate"]]
    if "corrupt" in q:
        b = bytearray(payload)
        for offset, value in q["corrupt"]:
            b[offset] = value
        payload = bytes(b)
    return (
        Ether(src=q.get("src", q["mac"]), dst="ff:ff:ff:ff:ff:ff")
        / IP(src="0.0.0.0", dst="255.255.255.255", ttl=64)
        / UDP(sport=68, dport=67)
        / payload
    )


def udp_payload(frame):
    """The UDP payload of an Ethernet/IPv4/UDP frame, cut at the IP total length."""
    b = raw(frame)
    ip = b[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    udp = ip[ihl:total]
    return udp[8:]


def exchange(iface, q):
    xid = q["xid"]
    started = threading.Event()

    def ours(p):
        if UDP not in p or p[UDP].dport != 68:
            return False
        data = udp_payload(p)
        return len(data) >= 8 and data[0] == 2 and struct.unpack("!I", data[4:8])[0] == xid

    sniffer = AsyncSniffer(
        iface=iface,
        filter="udp and dst port 68",
        lfilter=ours,
        count=1,
        timeout=q.get("timeout", 5),
        started_callback=started.set,
    )
    sniffer.start()
    started.wait(5)
    sendp(request(q), iface=iface)
    sniffer.join()
    got = sniffer.results
    if not got:
        return None
    p = got[0]
    return {
        "xid": xid,
        "hex": udp_payload(p).hex(),
        "eth_dst": p[Ether].dst,
        "ip_src": p[IP].src,
        "ip_dst": p[IP].dst,
        "sport": p[UDP].sport,
        "dport": p[UDP].dport,
    }


def main():
    args = json.loads(sys.argv[1])
    replies = [exchange(args["iface"], q) for q in args["queries"]]
    print(json.dumps({"replies": replies}))


if __name__ == "__main__":
    main()
