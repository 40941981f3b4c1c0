"""A TCP server for the lab's backends: answers every connection with one line, "NAME CLIENT_IP",
then closes it. NAME tells the client which backend served it; CLIENT_IP is the source address the
backend saw, which proves that translate mode keeps the client's address. Runs inside a Mininet
host; prints "ready" once listening so the lab knows when to send traffic.

usage: tcp_server.py NAME PORT
"""
import socket
import sys


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(256)
    print("ready", flush=True)
    while True:
        conn, peer = srv.accept()
        try:
            conn.sendall(("%s %s\n" % (name, peer[0])).encode())
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
