#!/usr/bin/env python3
"""Test backend for the load-balancer traffic tests (OvsLb.Testing.TrafficServer starts it).

Answers every TCP connection, and every UDP datagram, with one line naming itself and the peer
address it saw, then closes the connection (the server closes first, so TIME_WAIT stays on the
server and a client may reuse its source port at once):

    b1 10.0.0.2:40001\n

Prints "READY <proto> <addr>:<port>" on stdout once every socket listens, then serves until killed.

    lbserver.py --name b1 --port 80 [--bind 10.0.0.100] [--proto tcp|udp|both]
"""
import argparse
import selectors
import socket
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="name sent in every answer")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="0.0.0.0", help="address to listen on (default: all IPv4; an IPv6 address listens on IPv6)")
    ap.add_argument("--proto", choices=["tcp", "udp", "both"], default="tcp")
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sel = selectors.DefaultSelector()
    if args.proto in ("tcp", "both"):
        t = socket.socket(family, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((args.bind, args.port))
        t.listen(4096)
        sel.register(t, selectors.EVENT_READ, "tcp")
        print(f"READY tcp {args.bind}:{args.port}", flush=True)
    if args.proto in ("udp", "both"):
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind((args.bind, args.port))
        sel.register(u, selectors.EVENT_READ, "udp")
        print(f"READY udp {args.bind}:{args.port}", flush=True)

    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "tcp":
                try:
                    c, addr = s.accept()
                    ip, port = addr[:2]
                except OSError:
                    continue
                try:
                    c.sendall(f"{args.name} {ip}:{port}\n".encode())
                except OSError:
                    pass
                finally:
                    c.close()
            else:
                try:
                    _, addr = s.recvfrom(2048)
                    ip, port = addr[:2]
                    s.sendto(f"{args.name} {ip}:{port}\n".encode(), addr)
                except OSError:
                    pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
