#!/usr/bin/env python3
"""Minimal OpenFlow recorder used to capture golden vectors from Open vSwitch.

Standard library only.  Two modes:

proxy
    Listen on 127.0.0.1:PORT, forward every accepted TCP connection to a unix
    socket (normally a bridge's ``<rundir>/<bridge>.mgmt``) and record every
    complete OpenFlow message in both directions.  Point ``ovs-ofctl`` at
    ``tcp:127.0.0.1:PORT`` instead of the bridge name.

        capture.py proxy --listen 127.0.0.1:6699 \\
            --target /tmp/sandbox/br0.mgmt --out trace.txt [--once]

controller
    Listen on 127.0.0.1:PORT as an OpenFlow 1.3 controller (use
    ``ovs-vsctl set-controller BR tcp:127.0.0.1:PORT`` with
    ``protocols=OpenFlow13`` on the bridge).  Sends HELLO (OF1.3 version
    bitmap) and FEATURES_REQUEST, answers ECHO_REQUESTs and records everything
    in both directions.

        capture.py controller --listen 127.0.0.1:6653 --out trace.txt \\
            [--duration 10] [--send HEX ...]

Stop either mode with SIGINT or SIGTERM; the trace is written on exit.

Trace format (both modes): one message per line,
``<connection-number> <direction> <hex>`` where direction is ``to-switch``
or ``from-switch``.  Lines are in the order the proxy/controller saw the
messages.

The module is also imported by generate_corpus.py, which drives the proxy
and controller in-process (see Proxy and Controller below).
"""

import argparse
import signal
import socket
import struct
import sys
import threading
import time

OFP13_VERSION = 0x04

OFPT_HELLO = 0
OFPT_ERROR = 1
OFPT_ECHO_REQUEST = 2
OFPT_ECHO_REPLY = 3
OFPT_FEATURES_REQUEST = 5

TO_SWITCH = "to-switch"
FROM_SWITCH = "from-switch"


def of_header(msg):
    """Returns (version, type, length, xid) of an OpenFlow message."""
    return struct.unpack("!BBHI", msg[:8])


def hello_of13(xid=1):
    """OFPT_HELLO with a version-bitmap element announcing only OF1.3.

    Same bytes as ``ovs-ofctl encode-hello 0x10`` (which uses xid 1)."""
    elem = struct.pack("!HHI", 1, 8, 1 << OFP13_VERSION)
    return struct.pack("!BBHI", OFP13_VERSION, OFPT_HELLO, 8 + len(elem), xid) + elem


def simple_msg(msg_type, xid, body=b"", version=OFP13_VERSION):
    return struct.pack("!BBHI", version, msg_type, 8 + len(body), xid) + body


class Framer:
    """Splits a byte stream into complete OpenFlow messages."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while len(self.buf) >= 8:
            length = struct.unpack("!H", self.buf[2:4])[0]
            if length < 8:
                raise ValueError("bad OpenFlow length %d" % length)
            if len(self.buf) < length:
                break
            out.append(self.buf[:length])
            self.buf = self.buf[length:]
        return out


class Recorder:
    """Thread-safe ordered list of (conn, direction, bytes)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.msgs = []

    def add(self, conn, direction, msg):
        with self.cond:
            self.msgs.append((conn, direction, bytes(msg)))
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.msgs)

    def wait_for(self, pred, start=0, timeout=10.0):
        """Waits until a message at index >= start satisfies pred(conn, dir,
        msg); returns its index.  Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.msgs)):
                    if pred(*self.msgs[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching OpenFlow message")
                self.cond.wait(left)

    def write(self, path):
        with open(path, "w") as f:
            for conn, direction, msg in self.snapshot():
                f.write("%d %s %s\n" % (conn, direction, msg.hex()))


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


# --------------------------------------------------------------------------
# Proxy mode


class Proxy:
    """TCP listener that forwards each connection to a unix socket."""

    def __init__(self, target, recorder=None, host="127.0.0.1", port=0):
        self.target = target
        self.recorder = recorder or Recorder()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.host, self.port = self.sock.getsockname()
        self.n_conns = 0
        self.active = []
        self.lock = threading.Lock()
        self._bg = None

    @property
    def url(self):
        return "tcp:%s:%d" % (self.host, self.port)

    def _pump(self, conn_no, direction, src, dst):
        framer = Framer()
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for msg in framer.feed(data):
                    self.recorder.add(conn_no, direction, msg)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _serve(self, client, conn_no):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.connect(self.target)
        t1 = threading.Thread(target=self._pump,
                              args=(conn_no, TO_SWITCH, client, server),
                              daemon=True)
        t2 = threading.Thread(target=self._pump,
                              args=(conn_no, FROM_SWITCH, server, client),
                              daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        client.close()
        server.close()

    def _start_conn(self, client):
        client.settimeout(None)
        with self.lock:
            self.n_conns += 1
            conn_no = self.n_conns
            t = threading.Thread(target=self._serve, args=(client, conn_no),
                                 daemon=True)
            self.active.append(t)
        t.start()
        return t

    def accept_one(self, timeout=None):
        """Accepts one connection and starts serving it in the background.
        Returns the serving thread."""
        self.sock.settimeout(timeout)
        client, _ = self.sock.accept()
        return self._start_conn(client)

    def serve_forever(self, once=False):
        while True:
            t = self.accept_one()
            if once:
                t.join()
                return

    def start_background(self):
        """Accepts connections in a thread until close().

        The thread polls with a short timeout and close() stops and joins it
        before closing the listening socket: closing a socket that another
        thread is about to accept() on could let that accept() land on an
        unrelated socket that reused the file descriptor."""
        self._stop = threading.Event()

        def loop():
            self.sock.settimeout(0.05)
            while not self._stop.is_set():
                try:
                    client, _ = self.sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                self._start_conn(client)
        self._bg = threading.Thread(target=loop, daemon=True)
        self._bg.start()
        return self._bg

    def join_all(self, timeout=30.0):
        with self.lock:
            threads = list(self.active)
        for t in threads:
            t.join(timeout)

    def close(self):
        bg = getattr(self, "_bg", None)
        if bg is not None:
            self._stop.set()
            bg.join()
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Controller mode


class Controller:
    """A passive OpenFlow 1.3 controller endpoint that records traffic."""

    def __init__(self, recorder=None, host="127.0.0.1", port=0,
                 auto_echo=True):
        self.recorder = recorder or Recorder()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(4)
        self.host, self.port = self.lsock.getsockname()
        self.auto_echo = auto_echo
        self.conn = None
        self.conn_no = 0
        self.send_lock = threading.Lock()
        self.reader = None

    @property
    def url(self):
        return "tcp:%s:%d" % (self.host, self.port)

    def accept(self, timeout=30.0):
        self.lsock.settimeout(timeout)
        conn, _ = self.lsock.accept()
        conn.settimeout(None)
        self.conn = conn
        self.conn_no += 1
        self.reader = threading.Thread(target=self._read_loop,
                                       args=(conn, self.conn_no), daemon=True)
        self.reader.start()
        return conn

    def _read_loop(self, conn, conn_no):
        framer = Framer()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                for msg in framer.feed(data):
                    self.recorder.add(conn_no, FROM_SWITCH, msg)
                    version, mtype, _, xid = of_header(msg)
                    if self.auto_echo and mtype == OFPT_ECHO_REQUEST:
                        # An echo reply is the request with the type changed.
                        reply = bytes([msg[0], OFPT_ECHO_REPLY]) + msg[2:]
                        self.send(reply)
        except OSError:
            pass

    def send(self, msg):
        with self.send_lock:
            self.recorder.add(self.conn_no, TO_SWITCH, msg)
            self.conn.sendall(msg)

    def wait_for_type(self, mtype, start=0, timeout=10.0, pred=None):
        def match(conn, direction, msg):
            return (direction == FROM_SWITCH and msg[1] == mtype
                    and (pred is None or pred(msg)))
        i = self.recorder.wait_for(match, start, timeout)
        return i, self.recorder.msgs[i][2]

    def handshake(self, hello=None, features_request=None, timeout=10.0):
        """Sends HELLO + FEATURES_REQUEST; returns the FEATURES_REPLY."""
        self.send(hello or hello_of13(1))
        self.wait_for_type(OFPT_HELLO, timeout=timeout)
        start = len(self.recorder.msgs)
        self.send(features_request
                  or simple_msg(OFPT_FEATURES_REQUEST, 2))
        return self.wait_for_type(6, start=start, timeout=timeout)[1]

    def close(self):
        # shutdown() wakes the reader thread; only close the descriptors once
        # it has finished (see Proxy.start_background for why).
        if self.conn is not None:
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self.reader is not None:
            self.reader.join(10)
        for s in (self.conn, self.lsock):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


# --------------------------------------------------------------------------
# Command line


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)

    p = sub.add_parser("proxy", help="TCP -> unix socket recording proxy")
    p.add_argument("--listen", default="127.0.0.1:6699")
    p.add_argument("--target", required=True,
                   help="unix socket, e.g. <rundir>/<bridge>.mgmt")
    p.add_argument("--out", required=True, help="trace file")
    p.add_argument("--once", action="store_true",
                   help="exit after the first connection closes")

    c = sub.add_parser("controller", help="recording OF1.3 controller")
    c.add_argument("--listen", default="127.0.0.1:6653")
    c.add_argument("--out", required=True, help="trace file")
    c.add_argument("--duration", type=float, default=10.0,
                   help="seconds to record after the handshake")
    c.add_argument("--send", action="append", default=[],
                   help="hex OpenFlow message to send after the handshake")

    args = ap.parse_args(argv)
    host, port = parse_hostport(args.listen)

    # Background jobs of non-interactive shells ignore SIGINT; make both
    # SIGINT and SIGTERM stop recording and write the trace.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    rec = Recorder()
    if args.mode == "proxy":
        proxy = Proxy(args.target, rec, host, port)
        print("listening on %s" % proxy.url, file=sys.stderr, flush=True)
        try:
            proxy.serve_forever(once=args.once)
        except KeyboardInterrupt:
            pass
        finally:
            rec.write(args.out)
            proxy.close()
    else:
        ctl = Controller(rec, host, port)
        print("listening on %s" % ctl.url, file=sys.stderr, flush=True)
        try:
            ctl.accept(timeout=None)
            ctl.handshake()
            for h in args.send:
                ctl.send(bytes.fromhex(h.replace(" ", "")))
            time.sleep(args.duration)
        except KeyboardInterrupt:
            pass
        finally:
            ctl.close()
            rec.write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
