#!/usr/bin/env python3
"""Long-lived test backend for the persistence tests (OvsLb.Testing.EchoServer starts it).

Keeps every TCP connection open and answers each line the client sends with one line naming itself
and the peer address it saw:

    b1 10.0.0.2:40001\n

so a client holding a connection open can ask, again and again, which backend is at the other end.
Prints "READY tcp <addr>:<port>" once it listens, then serves until killed.

    lbecho.py --name b1 --port 8080 [--bind 0.0.0.0]
"""
import argparse
import asyncio
import sys


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="0.0.0.0")
    args = ap.parse_args()

    async def serve(reader, writer):
        ip, port = writer.get_extra_info("peername")[:2]
        answer = f"{args.name} {ip}:{port}\n".encode()
        try:
            while await reader.readline():
                writer.write(answer)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, args.bind, args.port, reuse_address=True, backlog=4096)
    print(f"READY tcp {args.bind}:{args.port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
