#!/usr/bin/env python3
"""Regenerates tests/golden/data/multipart.golden and port-table-role.golden from Open vSwitch 3.1.

Every `hex:` is bytes Open vSwitch itself put on the wire: either a request ovs-ofctl sent to
ovs-vswitchd or the reply/asynchronous message ovs-vswitchd sent (recorded by a small proxy between
ovs-ofctl and the bridge's management socket, or by a passive controller endpoint that
ovs-vswitchd connects to).  Every `text:` line is `ovs-ofctl -O OpenFlow13 ofp-print HEX` for
exactly that hex.  The controller endpoint sends a few requests of its own (HELLO,
FEATURES_REQUEST, ROLE_REQUEST, GET_ASYNC_REQUEST, ECHO_REPLY); those are never written as vectors,
only the switch's answers are.

Starts a private sandbox (ovsdb-server + ovs-vswitchd --enable-dummy --disable-system) in a fresh
temporary directory with ovs-vswitchd's clock stopped (durations only move with time/warp, so the
bytes are reproducible; only the order of groups in group replies follows OVS's hash table and
may differ between runs) and stops every daemon it started on exit.  Standard library only.

Usage: tests/golden/gen_mp_golden.py [OUTDIR]   (default: tests/golden/data next to this script)
"""

import os
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_lib  # noqa: E402  (tests/golden/golden_lib.py: sandbox daemons)

OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]
TO_SWITCH, FROM_SWITCH = "to-switch", "from-switch"


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# Sandbox


class Sandbox:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ovs-mp-golden.")
        self.env = dict(os.environ)
        for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
            self.env[var] = self.dir
        self.env.pop("OVS_CTL_TIMEOUT", None)
        self.db = "unix:%s/db.sock" % self.dir

    def run(self, argv, check=True, timeout=60):
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise GenError("%s failed (%d): %s%s" % (shlex.join(argv), p.returncode, p.stdout, p.stderr))
        return p

    def start(self):
        golden_lib.start_daemons(self.dir, self.env)
        self.appctl("time/stop")

    def stop(self):
        golden_lib.stop_daemons(self.dir, self.env)

    def vsctl(self, *args):
        return self.run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"] + list(args))

    def appctl(self, *args):
        return self.run(["ovs-appctl", "-t", "ovs-vswitchd"] + list(args))

    def ofctl(self, *args, check=True):
        return self.run(OFCTL + list(args), check=check)

    def warp(self, msecs):
        self.appctl("time/warp", str(msecs))

    def mgmt(self, bridge):
        return "%s/%s.mgmt" % (self.dir, bridge)

    def add_bridge(self, name, dpid, ports):
        self.vsctl("add-br", name, "--", "set", "bridge", name, "datapath_type=dummy",
                   "protocols=OpenFlow13", "fail-mode=secure",
                   "other-config:datapath-id=%016x" % dpid,
                   "other-config:hwaddr=02:00:00:00:%02x:%02x" % ((dpid >> 8) & 0xff, dpid & 0xff),
                   "other-config:disable-in-band=true")
        for i in range(1, ports + 1):
            self.add_port(name, "%s-p%d" % (name, i), i)

    def add_port(self, bridge, port, ofport):
        self.vsctl("add-port", bridge, port, "--", "set", "interface", port, "type=dummy",
                   "ofport_request=%d" % ofport)

    def ofp_print(self, msg):
        p = self.run(OFCTL + ["ofp-print", msg.hex()], check=False)
        if p.returncode != 0 or not p.stdout.strip():
            raise GenError("ofp-print failed for %s: %s" % (msg.hex()[:80], p.stderr))
        return p.stdout.rstrip("\n").split("\n")


# ---------------------------------------------------------------------------
# Recording endpoints


def split_messages(buf):
    out = []
    while len(buf) >= 8:
        length = struct.unpack("!H", buf[2:4])[0]
        if length < 8:
            raise GenError("bad OpenFlow length %d" % length)
        if len(buf) < length:
            break
        out.append(buf[:length])
        buf = buf[length:]
    return out, buf


class Recorder:
    def __init__(self):
        self.lock = threading.Condition()
        self.msgs = []

    def add(self, direction, msg):
        with self.lock:
            self.msgs.append((direction, bytes(msg)))
            self.lock.notify_all()

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def wait(self, pred, start=0, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for i in range(start, len(self.msgs)):
                    if pred(*self.msgs[i]):
                        return i, self.msgs[i][1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GenError("timed out waiting for a message")
                self.lock.wait(left)


def pump(rec, direction, src, dst):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            msgs, buf = split_messages(buf + data)
            for m in msgs:
                rec.add(direction, m)
            if dst is not None:
                dst.sendall(data)
    except OSError:
        pass
    finally:
        if dst is not None:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def proxied(sb, bridge, args, check=True):
    """Runs ovs-ofctl ARGS with "{SW}" replaced by a recording proxy in front of BRIDGE."""
    rec = Recorder()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    url = "tcp:127.0.0.1:%d" % lsock.getsockname()[1]
    threads = []

    def serve_one(client):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.connect(sb.mgmt(bridge))
        t1 = threading.Thread(target=pump, args=(rec, TO_SWITCH, client, server), daemon=True)
        t2 = threading.Thread(target=pump, args=(rec, FROM_SWITCH, server, client), daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        client.close()
        server.close()

    def serve():
        # ovs-ofctl may open several connections (mod-port looks the port up first).
        while True:
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            t = threading.Thread(target=serve_one, args=(client,), daemon=True)
            threads.append(t)
            t.start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        sb.ofctl(*[a.replace("{SW}", url) for a in args], check=check)
    finally:
        lsock.close()
    for t in list(threads):
        t.join(30)
    return rec.snapshot()


class Controller:
    """Passive OpenFlow 1.3 endpoint that ovs-vswitchd connects to (set-controller)."""

    def __init__(self):
        self.rec = Recorder()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.url = "tcp:127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.conn = None
        self.xid = 100

    def accept(self):
        self.lsock.settimeout(30)
        self.conn, _ = self.lsock.accept()
        self.conn.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        try:
            while True:
                data = self.conn.recv(65536)
                if not data:
                    return
                msgs, buf = split_messages(buf + data)
                for m in msgs:
                    self.rec.add(FROM_SWITCH, m)
                    if m[1] == 2:  # ECHO_REQUEST -> ECHO_REPLY
                        self.send(bytes([m[0], 3]) + m[2:])
        except OSError:
            pass

    def send(self, msg):
        self.rec.add(TO_SWITCH, msg)
        self.conn.sendall(msg)

    def request(self, msg_type, body=b""):
        """Sends an OF1.3 message and returns (index, reply) of the next message from the switch
        with the same xid."""
        self.xid += 1
        xid = self.xid
        start = len(self.rec.snapshot())
        self.send(struct.pack("!BBHI", 4, msg_type, 8 + len(body), xid) + body)
        return self.rec.wait(lambda d, m: d == FROM_SWITCH and m[4:8] == struct.pack("!I", xid), start)

    def wait_type(self, msg_type, start):
        return self.rec.wait(lambda d, m: d == FROM_SWITCH and m[1] == msg_type, start)

    def mark(self):
        return len(self.rec.snapshot())

    def close(self):
        for s in (self.conn, self.lsock):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


# ---------------------------------------------------------------------------
# Golden writer


class Golden:
    def __init__(self, sb, topic):
        self.sb, self.topic, self.blocks, self.names = sb, topic, [], set()

    def add(self, name, cmd, msg, direction, note=None):
        if name in self.names:
            raise GenError("duplicate entry %s" % name)
        self.names.add(name)
        lines = ["name: " + name, "cmd: " + cmd, "dir: " + direction]
        if note:
            lines.append("note: " + note)
        lines.append("hex: " + msg.hex())
        lines += ["text: " + t for t in self.sb.ofp_print(msg)]
        self.blocks.append("\n".join(lines) + "\n")

    def write(self, outdir):
        path = os.path.join(outdir, self.topic + ".golden")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(self.blocks))
        print("%-26s %4d entries" % (os.path.basename(path), len(self.blocks)))


def kind(msg):
    """(type, multipart type or None)."""
    mp = struct.unpack("!H", msg[8:10])[0] if msg[1] in (18, 19) and len(msg) >= 12 else None
    return msg[1], mp


def pick(msgs, msg_type, mp_type=None, direction=None):
    return [(d, m) for d, m in msgs
            if kind(m) == (msg_type, mp_type) and (direction is None or d == direction)]


def ofctl_cmd(args, bridge):
    return shlex.join(OFCTL + [a.replace("{SW}", bridge) for a in args])


def add_exchange(g, sb, bridge, name, args, msg_type, mp_type=None, dirs=(TO_SWITCH, FROM_SWITCH)):
    """Runs ovs-ofctl through the proxy and adds the request/reply messages of the given kind."""
    full = ["--no-names"] + args
    msgs = proxied(sb, bridge, full)
    cmd = "capture: " + ofctl_cmd(full, bridge)
    n = 0
    for direction in dirs:
        kept = pick(msgs, msg_type + (1 if direction == FROM_SWITCH and msg_type in (18,) else 0),
                    mp_type, direction)
        if not kept:
            raise GenError("%s: nothing captured in direction %s: %s"
                           % (name, direction, [kind(m) for _, m in msgs]))
        for i, (d, m) in enumerate(kept):
            label = "request" if d == TO_SWITCH else "reply"
            if len(kept) > 1:
                label += "-%d" % (i + 1)
            origin = "sent by ovs-ofctl 3.1" if d == TO_SWITCH else "sent by ovs-vswitchd 3.1"
            g.add("%s.%s" % (name, label), "%s (%s)" % (cmd, origin), m, d)
            n += 1
    return n


# ---------------------------------------------------------------------------
# multipart.golden

FLOWS = [
    "table=0,priority=100,ip,nw_dst=10.0.0.100 actions=group:1",
    "table=0,priority=90,arp actions=NORMAL",
    "table=0,priority=0 actions=CONTROLLER:65535",
    "table=0,cookie=0x1234,priority=50,tcp,tp_dst=80 actions=meter:1,output:2",
    "table=0,priority=40,idle_timeout=60,hard_timeout=300,send_flow_rem,in_port=3 actions=drop",
    "table=1,priority=10,ip actions=set_field:02:00:00:00:00:fe->eth_dst,goto_table:2",
    "table=2,priority=5,udp,tp_src=53 actions=clear_actions,write_actions(output:1)",
    "table=2,priority=6,reset_counts,no_packet_counts,no_byte_counts,ipv6 actions=write_metadata:0x5/0xff,goto_table:3",
]

PACKET = ("in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),"
          "ipv4(src=10.0.0.1,dst=10.0.0.100,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80)")


def topic_multipart(sb, outdir):
    g = Golden(sb, "multipart")
    br = "br0"
    sb.add_bridge(br, 0x41, ports=3)
    sb.ofctl("add-meter", br, "meter=1,kbps,burst,stats,band=type=drop,rate=1000,burst_size=100")
    sb.ofctl("add-meter", br, "meter=2,pktps,band=type=drop,rate=50")
    sb.ofctl("add-group", br, "group_id=1,type=select,bucket=weight:10,watch_port:1,actions=set_field:02:00:00:00:00:0a->eth_dst,output:1,bucket=weight:20,actions=output:2")
    sb.ofctl("add-group", br, "group_id=2,type=all,bucket=output:1,bucket=output:2")
    sb.ofctl("add-group", br, "group_id=3,type=fast_failover,bucket=watch_port:1,actions=output:1,bucket=watch_group:2,actions=group:2")
    sb.ofctl("add-group", br, "group_id=4,type=indirect,bucket=actions=dec_ttl,output:3")
    for f in FLOWS:
        sb.ofctl("add-flow", br, f)
    sb.warp(1500)
    for _ in range(3):
        sb.appctl("netdev-dummy/receive", "br0-p1", PACKET)
    sb.warp(1234)

    ex = lambda name, args, t, mp: add_exchange(g, sb, br, name, args, t, mp)
    ex("desc", ["dump-desc", "{SW}"], 18, 0)
    ex("flow-all", ["dump-flows", "{SW}"], 18, 1)
    ex("flow-table", ["dump-flows", "{SW}", "table=2"], 18, 1)
    ex("flow-match-out-port", ["dump-flows", "{SW}", "tcp,out_port=2"], 18, 1)
    ex("flow-cookie-out-group", ["dump-flows", "{SW}", "cookie=0x1234/-1,out_group=1"], 18, 1)
    ex("flow-empty", ["dump-flows", "{SW}", "table=7"], 18, 1)
    ex("aggregate-all", ["dump-aggregate", "{SW}"], 18, 2)
    ex("aggregate-match", ["dump-aggregate", "{SW}", "table=0,ip"], 18, 2)
    ex("table", ["dump-tables", "{SW}"], 18, 3)
    ex("port-all", ["dump-ports", "{SW}"], 18, 4)
    ex("port-one", ["dump-ports", "{SW}", "1"], 18, 4)
    ex("group-stats-all", ["dump-group-stats", "{SW}"], 18, 6)
    ex("group-stats-one", ["dump-group-stats", "{SW}", "group_id=1"], 18, 6)
    ex("group-desc", ["dump-groups", "{SW}"], 18, 7)
    ex("group-features", ["dump-group-features", "{SW}"], 18, 8)
    ex("meter-stats-all", ["meter-stats", "{SW}"], 18, 9)
    ex("meter-stats-one", ["meter-stats", "{SW}", "meter=1"], 18, 9)
    ex("meter-config-all", ["dump-meters", "{SW}"], 18, 10)
    ex("meter-config-one", ["dump-meters", "{SW}", "meter=2"], 18, 10)
    ex("meter-features", ["meter-features", "{SW}"], 18, 11)
    ex("port-desc", ["dump-ports-desc", "{SW}"], 18, 13)

    # A flow dump larger than 64 kB: OVS splits the reply, all but the last with flags=[more].
    br2 = "br1"
    sb.add_bridge(br2, 0x42, ports=2)
    path = os.path.join(sb.dir, "many.flows")
    with open(path, "w") as f:
        for i in range(400):
            f.write("table=3,priority=%d,ip,nw_src=10.1.%d.%d actions=set_field:02:00:00:00:%02x:%02x->eth_dst,"
                    "set_field:10.2.%d.%d->ip_dst,dec_ttl,push_vlan:0x8100,set_field:%d->vlan_vid,"
                    "output:1,output:2,goto_table:4\n"
                    % (1000 + i, i // 256, i % 256, i // 256, i % 256, i // 256, i % 256, 4096 + i % 4000))
    sb.ofctl("add-flows", br2, path)
    add_exchange(g, sb, br2, "flow-more", ["dump-flows", "{SW}"], 18, 1)
    g.write(outdir)


# ---------------------------------------------------------------------------
# port-table-role.golden


def topic_port_table_role(sb, outdir):
    g = Golden(sb, "port-table-role")
    br = "br9"
    sb.add_bridge(br, 0x51, ports=2)

    # PORT_MOD and METER_MOD from ovs-ofctl (request direction only; no reply).
    for name, args, t in [
        ("port-mod-down", ["mod-port", "{SW}", "1", "down"], 16),
        ("port-mod-up", ["mod-port", "{SW}", "1", "up"], 16),
        ("port-mod-no-flood", ["mod-port", "{SW}", "2", "no-flood"], 16),
        ("port-mod-no-packet-in", ["mod-port", "{SW}", "2", "no-packet-in"], 16),
        ("port-mod-no-receive", ["mod-port", "{SW}", "2", "no-receive"], 16),
        ("port-mod-no-forward", ["mod-port", "{SW}", "2", "no-forward"], 16),
        ("meter-mod-add-kbps-drop", ["add-meter", "{SW}", "meter=1,kbps,band=type=drop,rate=1000"], 29),
        ("meter-mod-add-burst-stats", ["add-meter", "{SW}", "meter=2,kbps,burst,stats,band=type=drop,rate=2000,burst_size=500"], 29),
        ("meter-mod-add-dscp", ["add-meter", "{SW}", "meter=3,pktps,band=type=dscp_remark,rate=100,prec_level=2"], 29),
        ("meter-mod-add-two-bands", ["add-meter", "{SW}", "meter=4,pktps,burst,band=type=drop,rate=300,burst_size=30,type=dscp_remark,rate=200,burst_size=20,prec_level=1"], 29),
        ("meter-mod-modify", ["mod-meter", "{SW}", "meter=1,pktps,band=type=drop,rate=7"], 29),
        ("meter-mod-delete-one", ["del-meters", "{SW}", "meter=3"], 29),
        ("meter-mod-delete-all", ["del-meters", "{SW}"], 29),
    ]:
        full = ["--no-names"] + args
        # dpif-netdev has no dscp_remark bands: ovs-vswitchd answers OFPMMFC_BAD_BAND, which does
        # not matter here, only the METER_MOD ovs-ofctl encoded is kept.
        msgs = proxied(sb, br, full, check="dscp" not in args[-1])
        kept = pick(msgs, t, None, TO_SWITCH)
        if len(kept) != 1:
            raise GenError("%s: expected one message of type %d, got %s" % (name, t, [kind(m) for _, m in msgs]))
        g.add(name, "capture: %s (sent by ovs-ofctl 3.1)" % ofctl_cmd(full, br), kept[0][1], TO_SWITCH)

    # Asynchronous messages and role/async replies, from ovs-vswitchd to a controller.
    ctl = Controller()
    sb.vsctl("set-controller", br, ctl.url, "--", "set", "controller", br,
             "connection-mode=out-of-band")
    ctl.accept()
    hello = struct.pack("!BBHI", 4, 0, 16, 1) + struct.pack("!HHI", 1, 8, 1 << 4)
    ctl.send(hello)
    ctl.wait_type(0, 0)
    ctl.request(5)  # FEATURES_REQUEST
    note_ctl = "the request was sent by the recording controller; only ovs-vswitchd's answer is a vector"

    cmd_ctl = "capture: ovs-vswitchd 3.1 -> controller (%s)"
    _, m = ctl.request(26)
    g.add("get-async-reply-default", cmd_ctl % "reply to OFPT_GET_ASYNC_REQUEST, default configuration", m, FROM_SWITCH, note_ctl)

    # SET_ASYNC changes what the switch reports; the GET_ASYNC reply shows it.
    set_async = struct.pack("!6I", 0x7, 0x1, 0x7, 0x5, 0x3f, 0x0)
    ctl.send(struct.pack("!BBHI", 4, 28, 8 + 24, 90) + set_async)
    _, m = ctl.request(26)
    g.add("get-async-reply-after-set", cmd_ctl % "reply to OFPT_GET_ASYNC_REQUEST after OFPT_SET_ASYNC all-on/partial", m, FROM_SWITCH, note_ctl)
    # Back to a configuration that reports every port status and flow removal to us.
    ctl.send(struct.pack("!BBHI", 4, 28, 8 + 24, 91) + struct.pack("!6I", 0x3, 0x0, 0x7, 0x7, 0x3f, 0x0))

    # Generation ids must not go backwards (OFPRRFC_STALE), compared as a signed 64-bit difference:
    # 0xfffffffffffffff0 first, then 5 is "newer" (wraps around).
    for role, gen, label in [(0, 0, "nochange"), (3, 0xfffffffffffffff0, "secondary-big-gen"),
                             (1, 3, "equal"), (2, 5, "primary-gen5")]:
        _, m = ctl.request(24, struct.pack("!I4xQ", role, gen))
        if m[1] != 25:
            raise GenError("role request %s answered with type %d" % (label, m[1]))
        g.add("role-reply-" + label, cmd_ctl % ("reply to OFPT_ROLE_REQUEST role=%d generation_id=%d" % (role, gen)),
              m, FROM_SWITCH, note_ctl)

    def async_after(action, msg_type, count=1):
        start = ctl.mark()
        action()
        out = []
        for _ in range(count):
            i, m = ctl.wait_type(msg_type, start)
            out.append(m)
            start = i + 1
        return out

    # PORT_STATUS add / modify / delete.
    m, = async_after(lambda: sb.add_port(br, "br9-p7", 7), 12)
    g.add("port-status-add", cmd_ctl % ("ovs-vsctl add-port %s br9-p7 -- set interface br9-p7 type=dummy ofport_request=7" % br), m, FROM_SWITCH)
    m, = async_after(lambda: sb.ofctl("mod-port", br, "br9-p7", "down"), 12)
    g.add("port-status-modify-down", cmd_ctl % ("ovs-ofctl mod-port %s br9-p7 down" % br), m, FROM_SWITCH)
    m, = async_after(lambda: sb.ofctl("mod-port", br, "br9-p7", "up"), 12)
    g.add("port-status-modify-up", cmd_ctl % ("ovs-ofctl mod-port %s br9-p7 up" % br), m, FROM_SWITCH)
    m, = async_after(lambda: sb.vsctl("del-port", br, "br9-p7"), 12)
    g.add("port-status-delete", cmd_ctl % ("ovs-vsctl del-port %s br9-p7" % br), m, FROM_SWITCH)

    def warp_until_flow_removed():
        # One second at a time, letting ovs-vswitchd expire flows between steps, so the reported
        # duration does not depend on scheduling.
        start = ctl.mark()
        for _ in range(20):
            sb.warp(1000)
            # A revalidation pass bumps the dump sequence, which is when ofproto-dpif expires flows.
            sb.appctl("revalidator/wait")
            time.sleep(0.3)
            got = [m for d, m in ctl.rec.snapshot()[start:] if d == FROM_SWITCH and m[1] == 11]
            if got:
                return got[0]
        raise GenError("no FLOW_REMOVED after 20 s of warped time")

    # FLOW_REMOVED: delete, idle timeout, hard timeout, meter delete.
    sb.ofctl("add-flow", br, "cookie=0x77,priority=123,send_flow_rem,ip,nw_dst=10.0.0.7 actions=output:1")
    sb.appctl("netdev-dummy/receive", "br9-p1", PACKET.replace("10.0.0.100", "10.0.0.7"))
    sb.warp(2345)
    m, = async_after(lambda: sb.ofctl("--strict", "del-flows", br, "priority=123,ip,nw_dst=10.0.0.7"), 11)
    g.add("flow-removed-delete", cmd_ctl % ("ovs-ofctl --strict del-flows %s priority=123,ip,nw_dst=10.0.0.7" % br), m, FROM_SWITCH)

    sb.ofctl("add-flow", br, "table=3,idle_timeout=5,send_flow_rem,tcp,tp_dst=22 actions=drop")
    m = warp_until_flow_removed()
    g.add("flow-removed-idle", cmd_ctl % "idle_timeout=5 flow in table 3, ovs-appctl time/warp", m, FROM_SWITCH)

    sb.ofctl("add-flow", br, "priority=9,hard_timeout=3,idle_timeout=100,send_flow_rem,udp actions=drop")
    m = warp_until_flow_removed()
    g.add("flow-removed-hard", cmd_ctl % "hard_timeout=3 flow, ovs-appctl time/warp", m, FROM_SWITCH)

    sb.ofctl("add-meter", br, "meter=5,pktps,band=type=drop,rate=10")
    sb.ofctl("add-flow", br, "priority=8,send_flow_rem,icmp actions=meter:5,output:2")
    m, = async_after(lambda: sb.ofctl("del-meters", br, "meter=5"), 11)
    g.add("flow-removed-meter-delete", cmd_ctl % ("ovs-ofctl del-meters %s meter=5" % br), m, FROM_SWITCH)

    sb.ofctl("add-group", br, "group_id=9,type=all,bucket=output:1")
    sb.ofctl("add-flow", br, "priority=7,send_flow_rem,arp actions=group:9")
    m, = async_after(lambda: sb.ofctl("del-groups", br, "group_id=9"), 11)
    g.add("flow-removed-group-delete", cmd_ctl % ("ovs-ofctl del-groups %s group_id=9" % br), m, FROM_SWITCH)

    ctl.close()
    sb.vsctl("del-controller", br)
    g.write(outdir)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(outdir, exist_ok=True)
    sb = Sandbox()
    try:
        sb.start()
        topic_multipart(sb, outdir)
        topic_port_table_role(sb, outdir)
    except Exception:
        log = os.path.join(sb.dir, "ovs-vswitchd.log")
        if os.path.exists(log):
            sys.stderr.write("--- ovs-vswitchd.log tail ---\n" + "".join(open(log).readlines()[-30:]))
        raise
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
