#!/usr/bin/env python3
"""Drives ovs-ofctl through capture.Proxy against /tmp/gb/sb/br0.mgmt; writes golden entries."""
import os, shlex, subprocess, sys, time, struct, tempfile
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/golden/capture.py
import capture

SB = os.environ.get("GOLDEN_SANDBOX", "/tmp/gb/sb")
ENV = dict(os.environ, OVS_RUNDIR=SB, OVS_LOGDIR=SB, OVS_DBDIR=SB, OVS_SYSCONFDIR=SB)
OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]

def ofp_print(hx):
    p = subprocess.run(OFCTL + ["ofp-print", hx], capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        raise SystemExit("ofp-print failed: " + p.stderr)
    return p.stdout.rstrip("\n")

class Cap:
    def __init__(self):
        self.rec = capture.Recorder()
        self.proxy = capture.Proxy(SB + "/br0.mgmt", self.rec)
        self.proxy.start_background()
        self.entries = []

    def ofctl(self, args, files=None, check=True):
        """args: list with {SW} for the switch; files: {placeholder: text}. Returns (msgs, shown-cmd)."""
        start = len(self.rec.snapshot())
        tmp = []
        real, shown = [], []
        for a in args:
            r, s = a.replace("{SW}", self.proxy.url), a.replace("{SW}", "br0")
            for k, v in (files or {}).items():
                if k in a:
                    f = tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt")
                    f.write(v); f.close(); tmp.append(f.name)
                    r = r.replace(k, f.name)
            real.append(r); shown.append(s)
        p = subprocess.run(OFCTL + real, capture_output=True, text=True, env=ENV, timeout=60)
        for t in tmp: os.unlink(t)
        if check and p.returncode != 0:
            print("NOTE: %s -> rc %d: %s" % (shlex.join(shown), p.returncode, p.stderr.strip()), file=sys.stderr)
        time.sleep(0.3)
        self.proxy.join_all(10)
        msgs = self.rec.snapshot()[start:]
        return msgs, "ovs-ofctl -O OpenFlow13 " + shlex.join(shown), p

    def add(self, name, cmd, direction, msg, extra=None):
        hx = msg.hex()
        text = ofp_print(hx)
        e = "name: %s\ncmd: %s\ndir: %s\n" % (name, cmd, direction)
        for k, v in (extra or {}).items():
            e += "%s: %s\n" % (k, v)
        e += "hex: %s\n" % hx
        e += "\n".join("text: " + l for l in text.split("\n"))
        self.entries.append(e)

    def keep(self, name, args, want, files=None, extra=None):
        msgs, cmd, p = self.ofctl(args, files)
        if files:
            extra = dict(extra or {})
            for k, v in files.items():
                extra["file"] = " \\n ".join(v.strip("\n").split("\n"))
        n = 0
        for conn, d, m in msgs:
            if want(d, m):
                n += 1
                self.add("%s-%d" % (name, n), cmd, d, m, extra)
        if n == 0:
            print("WARNING: nothing kept for " + name + ": " + p.stderr.strip(), file=sys.stderr)
        return msgs

    def write(self, path):
        with open(path, "w") as f:
            f.write("\n\n".join(self.entries) + "\n")

def mtype(m): return m[1]
def is_group_mod(d, m): return d == capture.TO_SWITCH and m[1] == 15
def is_error(d, m): return d == capture.FROM_SWITCH and m[1] == 1
def is_bundle(d, m):
    return m[1] == 4 and len(m) >= 16 and struct.unpack("!II", m[8:16]) in ((0x4F4E4600, 2300), (0x4F4E4600, 2301))
def bundle_or_error(d, m): return is_bundle(d, m) or is_error(d, m)
