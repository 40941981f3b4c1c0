#!/usr/bin/env python3
"""Raw OF1.3 client on <rundir>/br0.mgmt: HELLO, then send messages; collect replies."""
import socket, struct, time, sys, os
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/golden/capture.py
import capture

class Raw:
    def __init__(self, path=None):
        path = path or os.environ.get("GOLDEN_SANDBOX", "/tmp/gb/sb") + "/br0.mgmt"
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(3)
        self.f = capture.Framer()
        self.pending = []
        self.s.sendall(capture.hello_of13(1))
        h = self.recv_one()
        assert h[1] == 0, h

    def recv_one(self):
        while not self.pending:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.pending += self.f.feed(d)
        return self.pending.pop(0)

    def exchange(self, msgs, barrier_xid=0xbeef, wait_barrier=True):
        """Sends msgs (bytes), then a barrier; returns every message received before the barrier reply."""
        for m in msgs: self.s.sendall(m)
        if not wait_barrier:
            out = []
            try:
                while True: out.append(self.recv_one())
            except (socket.timeout, EOFError):
                return out
        self.s.sendall(capture.simple_msg(20, barrier_xid))
        out = []
        while True:
            m = self.recv_one()
            if m[1] == 21 and struct.unpack("!I", m[4:8])[0] == barrier_xid: return out
            out.append(m)
