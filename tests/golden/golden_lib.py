#!/usr/bin/env python3
"""Helpers for generate_corpus.py: OVS sandbox access, encoders, golden
file writer.

Every `hex:` written here is produced by Open vSwitch
itself: either printed by `ovs-ofctl -mmmmm parse-flow` /
`ovs-ofctl compose-packet` / `ovs-ofctl encode-hello`, or recorded on the
wire (capture.py) while ovs-ofctl talks to ovs-vswitchd or while
ovs-vswitchd talks to capture.py's controller.  Every `text:` line is the
output of `ovs-ofctl -O OpenFlow13 ofp-print HEX` for exactly that hex.

Standard library only.
"""

import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capture  # noqa: E402

OVS_VERSION_NOTE = "ovs-vswitchd 3.1"
OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# Helpers around the OVS command line tools


def run(argv, env, check=True, input=None, timeout=60):
    p = subprocess.run(argv, env=env, input=input, capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise GenError("command failed (%d): %s\nstdout: %s\nstderr: %s"
                       % (p.returncode, shlex.join(argv), p.stdout, p.stderr))
    return p


def hexdump_bytes(text):
    """Parses ovs_hex_dump() output ("00000000  04 0e 00 e8 ...-... |...|")
    into bytes.  The hex columns are fixed: characters 10..56."""
    out = bytearray()
    for line in text.splitlines():
        if not re.match(r"^[0-9a-f]{8}  ", line):
            continue
        offset = int(line[:8], 16)
        if offset != len(out):
            raise GenError("hexdump offset mismatch: %r" % line)
        for tok in line[10:57].replace("-", " ").split():
            out.append(int(tok, 16))
    return bytes(out)


# ---------------------------------------------------------------------------
# A private OVS in a directory: the one copy of the daemon start/stop code the
# generator scripts share (generate.sh does the same in shell).


def sandbox_env(d):
    """The environment that points every OVS tool at the sandbox in d."""
    env = dict(os.environ)
    for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
        env[var] = d
    env.pop("OVS_CTL_TIMEOUT", None)
    return env


def start_daemons(d, env):
    """Creates a database in d and starts ovsdb-server and
    ovs-vswitchd --enable-dummy --disable-system there (both --detach)."""
    db = "unix:%s/db.sock" % d
    run(["ovsdb-tool", "create", d + "/conf.db", SCHEMA], env)
    run(["ovsdb-server", "--detach", "--no-chdir", "-vconsole:off",
         "--pidfile=%s/ovsdb-server.pid" % d,
         "--log-file=%s/ovsdb-server.log" % d,
         "--remote=punix:%s/db.sock" % d, d + "/conf.db"], env)
    run(["ovs-vsctl", "--db=" + db, "--timeout=30", "--no-wait", "init"], env)
    run(["ovs-vswitchd", "--detach", "--no-chdir", "-vconsole:off",
         "--pidfile=%s/ovs-vswitchd.pid" % d,
         "--log-file=%s/ovs-vswitchd.log" % d,
         "--enable-dummy", "--disable-system", db], env)


def stop_daemons(d, env):
    """Stops the daemons start_daemons() started in d (ovs-appctl exit,
    then SIGTERM, then SIGKILL, each given 5 s) and removes d."""
    for name in ("ovs-vswitchd", "ovsdb-server"):
        try:
            with open("%s/%s.pid" % (d, name)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        run(["ovs-appctl", "-t", "%s/%s.%d.ctl" % (d, name, pid), "exit"],
            env, check=False, timeout=30)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            try:
                if sig is not None:
                    os.kill(pid, sig)
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                break
    shutil.rmtree(d, ignore_errors=True)


class Sandbox:
    def __init__(self, path):
        self.dir = path
        self.env = dict(os.environ)
        for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR",
                    "OVS_SYSCONFDIR"):
            self.env[var] = path
        self.db = "unix:%s/db.sock" % path
        self.next_dpid = 0x100
        self._print_cache = {}

    # -- tools
    def ofctl(self, *args, check=True, timeout=60):
        return run(OFCTL + list(args), self.env, check=check,
                   timeout=timeout)

    def vsctl(self, *args, check=True):
        return run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"]
                   + list(args), self.env, check=check)

    def appctl(self, *args, check=True):
        return run(["ovs-appctl", "-t", "ovs-vswitchd"] + list(args),
                   self.env, check=check)

    def warp(self, msecs):
        self.appctl("time/warp", str(msecs))

    def mgmt(self, bridge):
        return os.path.join(self.dir, bridge + ".mgmt")

    def add_bridge(self, name, dpid, protocols="OpenFlow13", ports=0):
        """Creates a dummy-datapath bridge with a fixed datapath id and MAC
        and `ports` dummy ports named <name>-p1.. (OpenFlow port 1..).
        Ports are added one transaction at a time so that netdev-dummy
        hands out their MAC addresses in a fixed order."""
        self.vsctl("add-br", name, "--", "set", "bridge", name,
                   "datapath_type=dummy", "protocols=" + protocols,
                   "fail-mode=secure",
                   "other-config:datapath-id=%016x" % dpid,
                   "other-config:hwaddr=02:00:00:00:%02x:%02x"
                   % ((dpid >> 8) & 0xff, dpid & 0xff),
                   "other-config:disable-in-band=true")
        for i in range(1, ports + 1):
            self.add_port(name, i)

    def add_port(self, bridge, n):
        port = "%s-p%d" % (bridge, n)
        self.vsctl("add-port", bridge, port, "--", "set", "interface", port,
                   "type=dummy", "ofport_request=%d" % n)
        return port

    # -- decoding
    def ofp_print(self, msg):
        """Lines printed by `ovs-ofctl -O OpenFlow13 ofp-print HEX`."""
        key = bytes(msg)
        if key not in self._print_cache:
            p = run(OFCTL + ["ofp-print", key.hex()], self.env, check=False)
            if p.returncode != 0 or not p.stdout.strip():
                raise GenError("ofp-print failed for %s: %s%s"
                               % (key.hex()[:64], p.stdout, p.stderr))
            out = p.stdout
            if out.endswith("\n"):
                out = out[:-1]
            self._print_cache[key] = out.split("\n")
        return self._print_cache[key]

    def msg_kind(self, msg):
        """e.g. 'OFPT_FLOW_MOD', 'OFPST_FLOW reply', 'ONFT_BUNDLE_CONTROL'."""
        first = self.ofp_print(msg)[0]
        m = re.match(r"^(\S+(?: (?:request|reply))?) \(OF", first)
        if not m:
            raise GenError("cannot classify %r" % first)
        return m.group(1)

    # -- encoders
    def parse_flow(self, flow):
        p = self.ofctl("-mmmmm", "parse-flow", flow)
        msg = hexdump_bytes(p.stdout)
        check_msg(msg)
        return msg

    def compose_packet(self, flow, payload=None):
        args = ["compose-packet", flow] + ([payload] if payload is not None
                                           else [])
        p = run(["ovs-ofctl"] + args, self.env)
        return hexdump_bytes(p.stdout)

    def encode_hello(self, bitmap):
        p = run(["ovs-ofctl", "encode-hello", bitmap], self.env)
        msg = hexdump_bytes(p.stdout)
        check_msg(msg)
        return msg

    # -- capture through the recording proxy
    def proxied(self, bridge, args, check=True, popen_until=None,
                during=None, then_until=None, prefix=None, timeout=60):
        """Runs `ovs-ofctl -O OpenFlow13 ARGS` with the literal "{SW}" in ARGS
        replaced by a capture.py proxy in front of BRIDGE's management
        socket.  Returns (process result, [(direction, bytes)...]).

        With popen_until=pred, ovs-ofctl is started in the background (for
        `monitor`); once pred(messages) is true, during() is called (if
        given), then we wait for then_until(messages) (if given) and
        terminate ovs-ofctl."""
        proxy = capture.Proxy(self.mgmt(bridge))
        proxy.start_background()
        argv = (prefix or OFCTL) + [a.replace("{SW}", proxy.url)
                                    for a in args]

        def snapshot():
            return [(d, m) for _, d, m in proxy.recorder.snapshot()]

        def wait(pred, proc, deadline):
            while not pred(snapshot()):
                if time.monotonic() > deadline:
                    raise GenError("timeout waiting for %s" % shlex.join(argv))
                if proc.poll() is not None:
                    raise GenError("%s exited early" % shlex.join(argv))
                time.sleep(0.05)
            time.sleep(0.2)

        try:
            if popen_until is None:
                result = run(argv, self.env, check=check, timeout=timeout)
            else:
                proc = subprocess.Popen(argv, env=self.env,
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + timeout
                try:
                    wait(popen_until, proc, deadline)
                    if during is not None:
                        during()
                    if then_until is not None:
                        wait(then_until, proc, deadline)
                finally:
                    if proc.poll() is None:
                        proc.terminate()
                    proc.wait(10)
                result = None
            proxy.join_all()
        finally:
            proxy.close()
        msgs = snapshot()
        if not msgs:
            raise GenError("nothing went through the proxy for %s (%r)"
                           % (shlex.join(argv),
                              result.stderr if result else None))
        for _, m in msgs:
            check_msg(m)
        return result, msgs


def check_msg(msg):
    if len(msg) < 8:
        raise GenError("short OpenFlow message")
    length = struct.unpack("!H", msg[2:4])[0]
    if length != len(msg):
        raise GenError("OpenFlow length %d != %d bytes" % (length, len(msg)))


def display_cmd(args, bridge=None, prefix=None):
    """ovs-ofctl command line as a user would type it (bridge name instead
    of the proxy's tcp:127.0.0.1:PORT)."""
    shown = [a.replace("{SW}", bridge or "BRIDGE") for a in args]
    return shlex.join((prefix or OFCTL) + shown)


# ---------------------------------------------------------------------------
# Golden file writer


class Golden:
    def __init__(self, sandbox, topic):
        self.sb = sandbox
        self.topic = topic
        self.entries = []
        self.names = set()

    def add(self, name, cmd, msg, direction=None, flow=None, note=None):
        check_msg(msg)
        if name in self.names:
            raise GenError("%s: duplicate entry name %s" % (self.topic, name))
        if "\n" in cmd or (note and "\n" in note):
            raise GenError("multi-line cmd/note in %s" % name)
        self.names.add(name)
        self.entries.append(dict(name=name, cmd=cmd, dir=direction,
                                 flow=flow, note=note, hex=msg.hex(),
                                 text=self.sb.ofp_print(msg)))

    def add_selected(self, base, cmd, msgs, kinds, direction_filter=None,
                     note=None, names=None):
        """Adds the messages from a capture whose kind (see msg_kind) is in
        KINDS, in wire order.  Entry names are BASE when one message is
        kept, otherwise BASE.<label>.  Returns the kept messages."""
        kept = []
        for d, m in msgs:
            if direction_filter and d != direction_filter:
                continue
            if self.sb.msg_kind(m) in kinds:
                kept.append((d, m))
        if not kept:
            raise GenError("%s: nothing of kinds %s captured; got %s"
                           % (base, kinds, kinds_of(self.sb, msgs)))
        labels = names or auto_labels(self.sb, kept)
        if len(labels) != len(kept):
            raise GenError("%s: %d labels for %d messages: %s"
                           % (base, len(labels), len(kept),
                              [self.sb.msg_kind(m) for _, m in kept]))
        for (d, m), label in zip(kept, labels):
            origin = ("request from ovs-ofctl 3.1" if d == capture.TO_SWITCH
                      else "reply from %s" % OVS_VERSION_NOTE)
            name = base if label is None else "%s.%s" % (base, label)
            self.add(name, "capture: %s (%s)" % (cmd, origin), m,
                     direction=d, note=note)
        return kept

    def write(self, outdir):
        path = os.path.join(outdir, self.topic + ".golden")
        blocks = []
        for e in self.entries:
            lines = ["name: " + e["name"], "cmd: " + e["cmd"]]
            if e["dir"]:
                lines.append("dir: " + e["dir"])
            if e["note"]:
                lines.append("note: " + e["note"])
            if e["flow"]:
                for f in e["flow"]:
                    lines.append("flow: " + f)
            lines.append("hex: " + e["hex"])
            lines.extend("text: " + t for t in e["text"])
            blocks.append("\n".join(lines) + "\n")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(blocks))
        print("%-22s %4d entries" % (os.path.basename(path),
                                     len(self.entries)))


def slug(kind):
    k = kind
    for p in ("OFPT_", "OFPST_", "NXT_", "NXST_", "ONFT_", "ONFST_",
              "OFPMP_"):
        if k.startswith(p):
            k = k[len(p):]
            break
    return k.lower().replace("_", "-").replace(" ", "-")


def auto_labels(sb, kept):
    if len(kept) == 1:
        return [None]
    labels = []
    for _, m in kept:
        kind = sb.msg_kind(m)
        label = slug(kind)
        mt = re.search(r"type=(\w+)", "\n".join(sb.ofp_print(m)))
        if kind.startswith("ONFT_BUNDLE_CONTROL") and mt:
            label = "bundle-" + mt.group(1).lower().replace("_", "-")
        labels.append(label)
    counts = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    seen = {}
    out = []
    for lab in labels:
        if counts[lab] > 1:
            seen[lab] = seen.get(lab, 0) + 1
            out.append("%s-%d" % (lab, seen[lab]))
        else:
            out.append(lab)
    return out


def kinds_of(sb, msgs):
    return [(d, sb.msg_kind(m)) for d, m in msgs]
