#!/usr/bin/env python3
"""Steady UDP flows from fixed 5-tuples, for backend-removal measurements (OvsLb.Testing.UdpFlowStream runs it).

One socket per source address in --binds, each bound to --src-port (so each flow keeps its 5-tuple, and
so its entry in the connection tracker). Every --interval milliseconds each flow sends one datagram to TARGET and waits up to the
interval for the answer of lbserver.py ("NAME PEER_IP:PEER_PORT"); one JSON line per datagram:

    {"t": 1712345678.123456, "flow": "10.0.0.150", "ok": true, "backend": "b1"}

"t" is the wall-clock time (CLOCK_REALTIME) the datagram was sent. Prints "READY" first; runs until its
stdin closes or --duration seconds pass.

    lbudpflows.py --target 10.0.0.100:53 --binds 10.0.0.150,10.0.0.151 --src-port 33000 [--interval 50]
"""
import argparse
import asyncio
import json
import socket
import sys
import time


async def flow(bind, src_port, target, interval, stop):
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, src_port))
    s.setblocking(False)
    while not stop.done():
        started = time.time()
        t0 = time.monotonic()
        rec = {"t": round(started, 6), "flow": bind, "ok": False, "backend": None}
        try:
            await loop.sock_sendto(s, b"hello\n", target)
            data = await asyncio.wait_for(loop.sock_recv(s, 2048), interval)
            parts = data.decode(errors="replace").split()
            if len(parts) == 2:
                rec.update(ok=True, backend=parts[0])
        except (OSError, asyncio.TimeoutError):
            pass
        sys.stdout.write(json.dumps(rec) + "\n")
        sys.stdout.flush()
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - t0)))
    s.close()


async def stdin_closed():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True)
    ap.add_argument("--binds", required=True)
    ap.add_argument("--src-port", type=int, required=True)
    ap.add_argument("--interval", type=float, default=50.0, help="milliseconds")
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args()
    ip, _, port = args.target.rpartition(":")
    stop = asyncio.ensure_future(stdin_closed())
    print("READY", flush=True)
    flows = [asyncio.ensure_future(flow(b, args.src_port, (ip, int(port)), args.interval / 1000.0, stop)) for b in args.binds.split(",")]
    try:
        await asyncio.wait_for(asyncio.shield(stop), args.duration)
    except asyncio.TimeoutError:
        stop.cancel()
    await asyncio.gather(*flows, return_exceptions=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
