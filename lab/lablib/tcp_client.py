"""The lab's client: opens N TCP connections to VIP:PORT one after the other (each from a new
source port, so each is a new flow for the switch's select group), reads the one-line answer
"NAME CLIENT_IP" and prints one JSON object: connections made, failures, the count per backend
name, per client address the backends saw and per peer address:port the client's socket had (the
address its answers came from: VIP:PORT, also where NAT mode rewrote it). Runs inside a Mininet host.

After MAX_FAILURES failures it stops and counts the connections it did not try as failed, so a
broken path is reported in seconds, not N timeouts.

usage: tcp_client.py VIP PORT N [TIMEOUT_SECONDS] [MAX_FAILURES]
"""
import json
import socket
import sys
import time


def one(vip, port, timeout):
    with socket.create_connection((vip, port), timeout=timeout) as s:
        peer = "%s:%d" % s.getpeername()[:2]
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    name, _, seen = data.decode().strip().partition(" ")
    if not name:
        raise OSError("empty answer")
    return name, seen, peer


def main():
    vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    max_failures = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    tally, seen, peers, errors = {}, {}, {}, []
    start = time.monotonic()
    for i in range(n):
        if len(errors) >= max_failures:
            errors.extend(["not tried: %d failures already" % max_failures] * (n - i))
            break
        try:
            name, client_ip, peer = one(vip, port, timeout)
            tally[name] = tally.get(name, 0) + 1
            seen[client_ip] = seen.get(client_ip, 0) + 1
            peers[peer] = peers.get(peer, 0) + 1
        except OSError as e:
            errors.append(str(e) or type(e).__name__)
    print(json.dumps({"ok": n - len(errors), "failed": len(errors), "tally": tally, "seen": seen, "peers": peers,
                      "errors": errors[:3], "seconds": round(time.monotonic() - start, 3)}))


if __name__ == "__main__":
    main()
