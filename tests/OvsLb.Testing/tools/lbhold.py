#!/usr/bin/env python3
"""Holds many TCP connections open and asks each, on demand, which backend it talks to
(OvsLb.Testing.HeldConnections runs it; the servers are lbecho.py).

Opens one connection from each source port in --src-port-list (or --count connections with ports the
kernel picks), at most --parallel connecting at once, sends "hello" on each and reads the answer
("NAME PEER_IP:PEER_PORT"). Prints one JSON line:

    {"opened": [{"src_port": 40000, "ok": true, "backend": "b1", "peer": "10.0.0.2:40000", "error": null}, ...]}

Then reads commands from stdin, one per line:
    round   sends a line on every connection (all at once) and prints {"round": [...]} like "opened"
    quit    closes every connection and exits (so does the end of stdin)
A connection that failed stays in the list and is asked again each round (its record says why it failed).

    lbhold.py --target 10.0.0.100:80 (--src-port-list P,P | --count N) [--bind-ip IP] [--parallel 32] [--timeout 2]
--bind-ip: the local address the connections leave from (default: the one the kernel picks).
--reuse: after opening them, reset every connection (SO_LINGER 0: an RST, and no TIME_WAIT on this side) and
open it again at once from the same source port, so each held connection reuses the 5-tuple of one closed
a moment before ("first" in the "opened" line has the first connections' answers).
--first-alone S: open the first connection alone, wait S seconds, then the others (e.g. so that what the first
connection made the switch learn is in place for the rest).
"""
import argparse
import asyncio
import json
import socket
import struct
import sys


class Conn:
    def __init__(self, src_port):
        self.src_port = src_port
        self.reader = None
        self.writer = None
        self.error = None


async def ask(c, timeout):
    rec = {"src_port": c.src_port, "ok": False, "backend": None, "peer": None, "error": None}
    if c.writer is None:
        rec["error"] = c.error or "not connected"
        return rec
    try:
        c.writer.write(b"hello\n")
        await asyncio.wait_for(c.writer.drain(), timeout)
        line = await asyncio.wait_for(c.reader.readline(), timeout)
        if not line:
            raise ConnectionError("closed by the peer")
        parts = line.decode(errors="replace").split()
        if len(parts) != 2:
            raise ValueError(f"unexpected answer {line!r}")
        rec.update(ok=True, backend=parts[0], peer=parts[1])
    except (OSError, ValueError, asyncio.TimeoutError) as e:
        rec["error"] = type(e).__name__ + (f": {e}" if str(e) else "")
    return rec


async def connect(c, ip, port, timeout, sem, bind_ip):
    async with sem:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if c.src_port or bind_ip != "0.0.0.0":
            s.bind((bind_ip, c.src_port))
        s.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(s, (ip, port)), timeout)
            if not c.src_port:
                c.src_port = s.getsockname()[1]
            c.reader, c.writer = await asyncio.open_connection(sock=s)
        except (OSError, asyncio.TimeoutError) as e:
            c.error = type(e).__name__ + (f": {e}" if str(e) else "")
            s.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="IP:PORT")
    ap.add_argument("--src-port-list")
    ap.add_argument("--count", type=int)
    ap.add_argument("--bind-ip", default="0.0.0.0")
    ap.add_argument("--first-alone", type=float)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--parallel", type=int, default=32)
    ap.add_argument("--timeout", type=float, default=2.0)
    args = ap.parse_args()
    ip, _, port = args.target.rpartition(":")
    port = int(port)
    ports = [int(p) for p in args.src_port_list.split(",")] if args.src_port_list else [0] * (args.count or 0)
    conns = [Conn(p) for p in ports]
    sem = asyncio.Semaphore(args.parallel)
    rest = conns
    if args.first_alone is not None and conns:
        await connect(conns[0], ip, port, args.timeout, sem, args.bind_ip)
        await asyncio.sleep(args.first_alone)
        rest = conns[1:]
    await asyncio.gather(*(connect(c, ip, port, args.timeout, sem, args.bind_ip) for c in rest))

    async def round_():
        return await asyncio.gather(*(ask(c, args.timeout) for c in conns))

    first = None
    if args.reuse:
        first = await round_()
        for c in conns:
            if c.writer is not None:
                c.writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.writer.close()
                try:
                    await c.writer.wait_closed()
                except OSError:
                    pass
            c.reader = c.writer = None
            c.error = None
        await asyncio.gather(*(connect(c, ip, port, args.timeout, sem, args.bind_ip) for c in conns))

    opened = {"opened": await round_()}
    if first is not None:
        opened["first"] = first
    print(json.dumps(opened), flush=True)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while True:
        line = (await stdin.readline()).decode().strip()
        if line == "round":
            print(json.dumps({"round": await round_()}), flush=True)
        elif line in ("quit", ""):
            break
    for c in conns:
        if c.writer is not None:
            c.writer.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
