"""The lab's long-lived connections: opens N TCP connections to VIP:PORT and keeps them open, to
show that a change of the load balancer (a backend added) neither breaks nor moves an established
connection. Needs the backends' servers in "hold" mode (tcp_server.py NAME PORT hold). Runs in the
background inside a Mininet host and talks to the lab through files in DIR:

  1. opens the N connections one after the other, reads each one's first line "NAME CLIENT_IP",
     writes DIR/opened.json: {"opened", "failed", "tally": {backend: connections}, "errors"};
  2. waits for the file DIR/go (at most 300 s);
  3. sends one line on every connection and reads the answer: a connection whose answer names
     another backend has moved, one that fails (reset, timeout, closed) has broken; writes
     DIR/final.json: {"kept", "moved", "broke", "tally", "errors", "seconds"}, then closes them all.

usage: tcp_hold.py VIP PORT N DIR
"""
import json
import os
import socket
import sys
import time


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            raise OSError("closed by the other end")
        data += chunk
    return data.decode().strip().partition(" ")[0]


def write(path, obj):
    with open(path + ".part", "w") as f:
        json.dump(obj, f)
    os.replace(path + ".part", path)


def main():
    vip, port, n, where = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    conns, tally, errors = [], {}, []
    for _ in range(n):
        try:
            s = socket.create_connection((vip, port), timeout=3)
            name = read_line(s)
            conns.append((s, name))
            tally[name] = tally.get(name, 0) + 1
        except OSError as e:
            errors.append(str(e) or type(e).__name__)
    write(os.path.join(where, "opened.json"), {"opened": len(conns), "failed": len(errors), "tally": tally, "errors": errors[:3]})
    deadline = time.monotonic() + 300
    while not os.path.exists(os.path.join(where, "go")) and time.monotonic() < deadline:
        time.sleep(0.05)
    start = time.monotonic()
    kept = moved = broke = 0
    after, errors = {}, []
    for s, name in conns:
        try:
            s.sendall(b"again\n")
            now = read_line(s)
            after[now] = after.get(now, 0) + 1
            if now == name:
                kept += 1
            else:
                moved += 1
                errors.append("moved from %s to %s" % (name, now))
        except OSError as e:
            broke += 1
            errors.append(str(e) or type(e).__name__)
        finally:
            s.close()
    write(os.path.join(where, "final.json"), {"kept": kept, "moved": moved, "broke": broke, "tally": after,
                                              "errors": errors[:3], "seconds": round(time.monotonic() - start, 3)})


if __name__ == "__main__":
    main()
