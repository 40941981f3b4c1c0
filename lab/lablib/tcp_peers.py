"""Counts the TCP segments a host receives, per source address:port, on its interfaces (an AF_PACKET
socket, packets addressed to this host only), until the file STOP exists; then writes the counts
as JSON to OUT. Shows the address a client's answers really came from on the wire: in NAT mode the
VIP:port, never a backend's own address. Runs in the background inside a Mininet host.

usage: tcp_peers.py OUT STOP
"""
import json
import os
import socket
import sys

ETH_P_IP = 0x0800
PACKET_HOST = 0


def main():
    out, stop = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))   # (from the IP header on)
    s.settimeout(0.1)
    counts = {}
    with open(out + ".part", "w") as f:
        f.write("listening\n")
    os.replace(out + ".part", out + ".ready")
    while not os.path.exists(stop):
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        if addr[2] != PACKET_HOST or len(data) < 24 or data[9] != 6:
            continue
        ihl = (data[0] & 0x0F) * 4
        src = "%s:%d" % (socket.inet_ntoa(data[12:16]), int.from_bytes(data[ihl:ihl + 2], "big"))
        counts[src] = counts.get(src, 0) + 1
    with open(out + ".part", "w") as f:
        json.dump(counts, f)
    os.replace(out + ".part", out)


if __name__ == "__main__":
    main()
