#!/usr/bin/env python3
"""Steady stream of new connections for the failover measurements (OvsLb.Testing.TrafficStream runs it).

Opens a new TCP connection to TARGET:PORT every INTERVAL milliseconds, whatever happened to the
previous ones (connections overlap, so a lost SYN does not stall the stream), reads the one-line
answer of lbserver.py ("NAME PEER_IP:PEER_PORT") and prints one JSON line per finished connection:

    {"t": 1712345678.123456, "ok": true, "backend": "b1", "ms": 0.8, "error": null}

"t" is the wall-clock time (CLOCK_REALTIME, seconds) the connection was started, so a test can
compare it with the time it took a port down. Keep --timeout below the kernel's initial SYN
retransmission time (1 s): a connection whose first SYN was lost then fails instead of quietly
reaching another backend on the retry. Prints "READY" first; runs for --duration seconds or until
its stdin closes, then waits for the connections in flight and exits 0.

    lbstream.py --target 10.0.0.100:80 [--interval 5] [--timeout 0.8] [--duration 30]
"""
import argparse
import asyncio
import json
import sys
import time


async def one(ip, port, timeout):
    started = time.time()
    t0 = time.monotonic()
    rec = {"t": round(started, 6), "ok": False, "backend": None, "ms": None, "error": None}
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)
        left = max(0.001, timeout - (time.monotonic() - t0))
        line = await asyncio.wait_for(reader.readline(), left)
        parts = line.decode(errors="replace").split()
        if len(parts) != 2:
            raise ValueError(f"unexpected answer {line!r}")
        rec.update(ok=True, backend=parts[0])
    except (OSError, ValueError, asyncio.TimeoutError) as e:
        rec["error"] = type(e).__name__ + (f": {e}" if str(e) else "")
    finally:
        if writer is not None:
            writer.close()
        rec["ms"] = round((time.monotonic() - t0) * 1000, 3)
    sys.stdout.write(json.dumps(rec) + "\n")
    sys.stdout.flush()


async def stdin_closed():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="IP:PORT")
    ap.add_argument("--interval", type=float, default=5.0, help="milliseconds between connection starts")
    ap.add_argument("--timeout", type=float, default=0.8, help="seconds per connection (connect + answer)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds to run at most")
    args = ap.parse_args()
    ip, _, port = args.target.rpartition(":")
    ip = ip.strip("[]")   # IPv6: [ADDR]:PORT or ADDR:PORT
    port = int(port)

    stop = asyncio.ensure_future(stdin_closed())
    tasks = set()
    deadline = time.monotonic() + args.duration
    step = args.interval / 1000.0
    print("READY", flush=True)
    next_start = time.monotonic()
    while not stop.done() and time.monotonic() < deadline:
        t = asyncio.ensure_future(one(ip, port, args.timeout))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        next_start += step
        now = time.monotonic()
        if next_start < now - step:
            next_start = now  # fell behind (a busy machine): keep the pace, do not burst
        await asyncio.sleep(max(0.0, next_start - now))
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    stop.cancel()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
