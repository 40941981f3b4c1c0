"""What the lab reads back from Open vSwitch: flows per table, the buckets of each select group
(mapped to backends by the MAC their actions write into eth_dst), hit counters, and the OpenFlow
messages between a bridge and its controller (`ovs-ofctl snoop`, to count PACKET_INs). Everything
comes from OVS's own tools, so the report shows what the switch holds, not what the controller
believes it sent."""
import os
import re
import subprocess
import time

OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]
COOKIE_SIGNATURE = 0x4C42           # high 16 bits of every flow cookie the controller owns
LEARNED_FEATURE = 0xFF              # cookie feature byte of flows the datapath learned (NXAST_LEARN)


def ofctl(*args):
    """Runs ovs-ofctl -O OpenFlow13 ARGS; returns stdout (raises with stderr on failure)."""
    r = subprocess.run(OFCTL + list(args), capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise RuntimeError("ovs-ofctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


class Flow:
    """One line of dump-flows."""
    FIELD = re.compile(r"(cookie|table|n_packets|priority)=(0x[0-9a-f]+|\d+)")

    def __init__(self, line):
        self.text = line.strip()
        head, _, self.actions = self.text.partition(" actions=")
        fields = dict(self.FIELD.findall(head))
        self.cookie = int(fields.get("cookie", "0"), 16)
        self.table = int(fields.get("table", "0"))
        self.n_packets = int(fields.get("n_packets", "0"))
        self.match = head

    @property
    def owned(self):
        return self.cookie >> 48 == COOKIE_SIGNATURE

    @property
    def learned(self):
        return self.owned and (self.cookie >> 40) & 0xFF == LEARNED_FEATURE


def flows(bridge):
    return [Flow(l) for l in ofctl("dump-flows", bridge).splitlines() if " actions=" in l]


def settle_stats():
    """Makes flow counters current. The datapath counts packets in its megaflow cache; ovs-vswitchd
    adds them to the OpenFlow flows' n_packets only when a revalidator looks at the megaflow
    (about every 500 ms). `revalidator/purge` removes every megaflow at once, adding its counts as
    it goes; the next packets simply miss the cache once. It does so for every bridge of the system
    OVS, not only the lab's (OVS has no purge per bridge): see lab/README.md on what that means for
    a machine with bridges of its own."""
    subprocess.run(["ovs-appctl", "revalidator/purge"], capture_output=True, timeout=20, check=True)


def counted_flows(bridge):
    """flows(bridge) with current counters (see settle_stats)."""
    settle_stats()
    return flows(bridge)


def flows_per_table(bridge):
    """{table: number of flows} for the controller's flows (learned ones included)."""
    counts = {}
    for f in flows(bridge):
        if f.owned:
            counts[f.table] = counts.get(f.table, 0) + 1
    return dict(sorted(counts.items()))


def groups(bridge):
    """{group_id: [bucket action text, ...]} from dump-groups."""
    out = {}
    for line in ofctl("dump-groups", bridge).splitlines():
        m = re.search(r"group_id=(\d+),type=\w+,(.*)", line)
        if m:
            out[int(m.group(1))] = m.group(2).split("bucket=")[1:]
    return out


PICK_MAC = re.compile(r"reg1=(0x[0-9a-f]+)\b.*set_field:([0-9a-f:]{17})->eth_dst")


def buckets_per_mac(bridge):
    """{eth_dst MAC a bucket stands for: number of buckets} over every group of the bridge. A stateless
    bucket writes the MAC itself; with persistence (the default) a bucket loads its backend's tag into
    reg1 and table 24 (pick)'s flow for that tag writes the MAC. A tag without a pick flow counts for none."""
    mac_of = {}
    for f in flows(bridge):
        if f.table == 24:
            m = PICK_MAC.search(f.text)
            if m:
                mac_of[int(m.group(1), 16)] = m.group(2)
    counts = {}
    for buckets in groups(bridge).values():
        for b in buckets:
            m = re.search(r"set_field:([0-9a-f:]{17})->eth_dst", b)
            t = NAT_BUCKET.search(b)
            mac = m.group(1) if m else mac_of.get(int(t.group(1), 16)) if t else None
            if mac:
                counts[mac] = counts.get(mac, 0) + 1
    return counts


NAT_BUCKET = re.compile(r"(?:load|set_field):(0x[0-9a-f]+)->(?:NXM_NX_REG1\[\]|reg1)")
NAT_PICK = re.compile(r"reg1=(0x[0-9a-f]+)\b.*nat\(dst=([0-9.]+)")


def buckets_per_nat_backend(bridge):
    """{backend IP: number of buckets} over every group of the bridge, for the NAT modes: a NAT bucket
    writes no packet field, it loads the backend's tag into reg1 and goes back to table 24 (pick),
    where the flow matching that reg1 commits the connection with nat(dst=IP:PORT). A tag without a
    pick flow (its backend went down) counts for no IP."""
    ip_of = {}
    for f in flows(bridge):
        if f.table == 24:
            m = NAT_PICK.search(f.text)
            if m:
                ip_of[int(m.group(1), 16)] = m.group(2)
    counts = {}
    for buckets in groups(bridge).values():
        for b in buckets:
            m = NAT_BUCKET.search(b)
            if m and int(m.group(1), 16) in ip_of:
                ip = ip_of[int(m.group(1), 16)]
                counts[ip] = counts.get(ip, 0) + 1
    return counts


def controller_flow_hits(bridge):
    """Packets that flows with a CONTROLLER action sent up (0 when ARP and forwarding stay in the datapath)."""
    return sum(f.n_packets for f in counted_flows(bridge) if "CONTROLLER" in f.actions)


class Snoop:
    """`ovs-ofctl snoop BRIDGE`: OVS copies every OpenFlow message between the bridge and its
    controller to this connection; counting PACKET_IN lines counts what the controller was sent."""

    def __init__(self, bridge, path):
        self.bridge, self.path = bridge, path
        # ovs-vswitchd makes the bridge's snoop socket once it has created the bridge, which on a loaded machine
        # may be after Mininet returns; a snoop started before it exits at once and would count nothing.
        sock = os.path.join(os.environ.get("OVS_RUNDIR", "/var/run/openvswitch"), bridge + ".snoop")
        wait_until("%s's snoop socket %s" % (bridge, sock), lambda: os.path.exists(sock), 30)
        self._out = open(path, "w")
        self._proc = subprocess.Popen(["ovs-ofctl", "snoop", bridge], stdout=self._out,
                                      stderr=subprocess.STDOUT)

    MESSAGE = re.compile(r"^(\S+) \(OF1\.3\) \(xid=")
    # The reuse flow's packet-ins (table 25): a SYN that found a connection entry, copied so that the controller
    # renews the entry; the SYN itself was forwarded in the datapath.
    RENEWAL = re.compile(r"\btable_id=25\b")

    def counts(self):
        """(PACKET_INs other than renewals, renewals, all OpenFlow messages) seen so far; the last shows the snoop
        was attached."""
        ins = renewals = total = 0
        with open(self.path) as f:
            for line in f:
                m = self.MESSAGE.match(line)
                if m:
                    total += 1
                    if "PACKET_IN" in m.group(1):
                        if self.RENEWAL.search(line):
                            renewals += 1
                        else:
                            ins += 1
        return ins, renewals, total

    def stop(self):
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._out.close()


def wait_until(what, predicate, timeout, interval=0.1):
    """Polls predicate() until it returns a true value; returns (value, seconds). Raises TimeoutError naming `what`."""
    start = time.monotonic()
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value, time.monotonic() - start
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            last_error = e
        if time.monotonic() - start > timeout:
            raise TimeoutError("%s: not within %.0f s%s" % (what, timeout, " (%s)" % last_error if last_error else ""))
        time.sleep(interval)
