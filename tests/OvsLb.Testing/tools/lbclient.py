#!/usr/bin/env python3
"""Test client for the load-balancer traffic tests (OvsLb.Testing.TrafficClient runs it).

Makes N connections (TCP) or request/answer exchanges (UDP) to TARGET:PORT, each from its own source
port, and reads the one-line answer of lbserver.py ("NAME PEER_IP:PEER_PORT"). Prints one JSON object:

    {"target": "10.0.0.100:80", "proto": "tcp", "elapsed_s": 1.2,
     "connections": [{"src_ip": "10.0.0.2", "src_port": 40001, "ok": true, "backend": "b1", "peer": "10.0.0.2:40001",
                      "error": null, "ms": 0.8}, ...],
     "tally": {"b1": 340, ...}, "failures": 0}

Source addresses: --bind IP, or --bind-list IP,IP,... (connection i binds the (i mod n)-th; the host must
hold them). Source ports: --src-ports A-B (each port once, in order), --src-port-list P,P,P (repeats allowed: the
same 5-tuple again), or neither (the kernel picks; the chosen port is recorded). Every socket sets
SO_REUSEADDR. The server closes first, so the client never holds TIME_WAIT and may reuse a port.
Failures are reported, never retried; the exit code is 0 unless the arguments are wrong.

    lbclient.py --target 10.0.0.100:80 [--proto tcp|udp] [--count N] [--src-ports 40000-40999]
                [--src-port-list 40000,40001] [--bind 10.0.0.2 | --bind-list 10.0.0.2,10.0.0.3]
                [--parallel 8] [--timeout 2]
"""
import argparse
import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def exchange(proto, bind, src_port, target, timeout):
    started = time.monotonic()
    rec = {"src_ip": bind, "src_port": src_port, "ok": False, "backend": None, "peer": None, "error": None, "ms": None}
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    s = socket.socket(family, kind)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(timeout)
        if bind or src_port:
            s.bind((bind or ("::" if family == socket.AF_INET6 else "0.0.0.0"), src_port or 0))
        if proto == "tcp":
            s.connect(target)
            rec["src_ip"], rec["src_port"] = s.getsockname()[:2]
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
        else:
            s.sendto(b"hello\n", target)
            rec["src_port"] = s.getsockname()[1]
            rec["src_ip"] = rec["src_ip"] or None
            data, _ = s.recvfrom(2048)
        parts = data.decode(errors="replace").split()
        if len(parts) != 2:
            raise ValueError(f"unexpected answer {data!r}")
        rec.update(ok=True, backend=parts[0], peer=parts[1])
    except (OSError, ValueError) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    finally:
        s.close()
        rec["ms"] = round((time.monotonic() - started) * 1000, 3)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="IP:PORT")
    ap.add_argument("--proto", choices=["tcp", "udp"], default="tcp")
    ap.add_argument("--count", type=int, help="connections when the kernel picks source ports")
    ap.add_argument("--src-ports", help="A-B: one connection from each port in the range")
    ap.add_argument("--src-port-list", help="P,P,...: one connection from each listed port")
    ap.add_argument("--bind", help="source address")
    ap.add_argument("--bind-list", help="source addresses used in turn: connection i binds the (i mod n)-th")
    ap.add_argument("--parallel", type=int, default=8, help="connections in flight at once")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per connection")
    args = ap.parse_args()

    ip, _, port = args.target.rpartition(":")
    target = (ip.strip("[]"), int(port))   # IPv6: [ADDR]:PORT or ADDR:PORT
    if args.src_ports:
        a, _, b = args.src_ports.partition("-")
        ports = list(range(int(a), int(b) + 1))
    elif args.src_port_list:
        ports = [int(p) for p in args.src_port_list.split(",") if p]
    elif args.count:
        ports = [0] * args.count
    else:
        ap.error("give --count, --src-ports or --src-port-list")

    binds = [b for b in args.bind_list.split(",") if b] if args.bind_list else [args.bind]
    jobs = [(binds[i % len(binds)], p) for i, p in enumerate(ports)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        conns = list(pool.map(lambda j: exchange(args.proto, j[0], j[1], target, args.timeout), jobs))
    tally = {}
    for c in conns:
        if c["ok"]:
            tally[c["backend"]] = tally.get(c["backend"], 0) + 1
    json.dump({"target": args.target, "proto": args.proto, "elapsed_s": round(time.monotonic() - started, 3),
               "connections": conns, "tally": tally, "failures": sum(1 for c in conns if not c["ok"])}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
