"""A TCP server for the lab's backends: answers every connection with one line, "NAME CLIENT_IP",
then closes it. NAME tells the client which backend served it; CLIENT_IP is the source address the
backend saw, which proves that translate mode keeps the client's address (and that fullnat replaces
it with the bridge's snatIp). Runs inside a Mininet host; prints "ready" once listening so the lab
knows when to send traffic.

With "hold" the connection stays open after the first line: every line the client sends is answered
with the same "NAME CLIENT_IP" line, until the client closes it (one thread per connection). The NAT
lab's long-lived connections (tcp_hold.py) use it to see, after a change, that each connection still
reaches the backend it started on; a client that closes after the first line sees no difference.

usage: tcp_server.py NAME PORT [hold]
"""
import socket
import sys
import threading


def hold(conn, line):
    try:
        with conn:
            conn.sendall(line)
            while True:
                data = conn.recv(256)
                if not data:
                    return
                for _ in range(data.count(b"\n")):
                    conn.sendall(line)
    except OSError:
        pass


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    keep = len(sys.argv) > 3 and sys.argv[3] == "hold"
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(256)
    print("ready", flush=True)
    while True:
        conn, peer = srv.accept()
        line = ("%s %s\n" % (name, peer[0])).encode()
        if keep:
            threading.Thread(target=hold, args=(conn, line), daemon=True).start()
            continue
        try:
            conn.sendall(line)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
