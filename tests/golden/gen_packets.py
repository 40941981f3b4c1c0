#!/usr/bin/env python3
"""Generates tests/golden/data/packets.golden: PACKET_IN and PACKET_OUT messages that Open
vSwitch 3.1 produced for a range of Ethernet frames, with `ovs-ofctl -O OpenFlow13 ofp-print`'s
text for each (the text includes the frame's flow and transport checksum).

Frames come from three places, none of them this project's code:
  * `ovs-ofctl compose-packet FLOW [PAYLOAD]` (OVS's flow_compose),
  * frames the Linux kernel sent between two network namespaces (tests/golden/linux_frames.sh
    writes them to tests/OvsLb.OpenFlow.Tests/Packets/data/linux.pcap),
  * a few deliberately malformed byte strings (listed below with their hex), to show where
    OVS's flow_extract stops.

PACKET_IN: a private ovs-vswitchd (dummy datapath) has this script's recording controller
(capture.Controller) as its OpenFlow 1.3 controller; each frame is injected with
`ovs-appctl netdev-dummy/receive PORT HEX` and the switch's PACKET_IN is recorded.
  port 1: table 0 `actions=controller`                      -> (via action), cookie 0
  port 2: table 1 cookie 0xabc `actions=controller(max_len=40)` -> table_id=1 cookie=0xabc; OVS 3.1
          no longer buffers packets and sends the whole frame whatever max_len says
  port 3: reg0/metadata set, then the table-miss flow of table 2 -> (via no_match), metadata in the match
PACKET_OUT: `ovs-ofctl -O OpenFlow13 packet-out tcp:PROXY "in_port=... packet=HEX actions=..."`
through capture.Proxy in front of the bridge's management socket.

Usage (as root or any user that may run OVS daemons):
    tests/golden/gen_packets.py [OUTFILE]
Everything runs in a `mktemp -d` sandbox that is removed at the end; every daemon started is
stopped by pid.
"""

import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capture  # noqa: E402  (tests/golden/capture.py)
from golden_lib import start_daemons, stop_daemons  # noqa: E402

OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]
PCAP = os.path.join(HERE, "..", "OvsLb.OpenFlow.Tests", "Packets", "data", "linux.pcap")

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
BASE = "eth_src=%s,eth_dst=%s" % (M1, M2)

# name -> (ovs-ofctl compose-packet flow, payload hex or None)
COMPOSED = [
    ("arp-request", "eth_src=%s,eth_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.254,"
                    "arp_sha=%s,arp_tha=00:00:00:00:00:00" % (M1, M1), None),
    ("arp-reply", "eth_src=%s,eth_dst=%s,arp,arp_op=2,arp_spa=10.0.0.254,arp_tpa=10.0.0.1,"
                  "arp_sha=%s,arp_tha=%s" % (M2, M1, M2, M1), None),
    ("arp-gratuitous", "eth_src=%s,eth_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.1,"
                       "arp_sha=%s,arp_tha=00:00:00:00:00:00" % (M1, M1), None),
    ("tcp-syn", BASE + ",tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,tcp_src=40000,tcp_dst=80,tcp_flags=syn", None),
    ("tcp-ack-psh-data", BASE + ",tcp,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=32,nw_ttl=63,tcp_src=80,tcp_dst=40000,"
                         "tcp_flags=psh|ack", "48656c6c6f"),
    ("udp", BASE + ",udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,udp_src=5000,udp_dst=53", "0102030405060708"),
    ("icmp-echo-request", BASE + ",icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,icmp_type=8,icmp_code=0",
     "0001000261626364"),
    ("icmp-echo-reply", BASE + ",icmp,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_ttl=64,icmp_type=0,icmp_code=0",
     "0001000261626364"),
    ("icmp6-ns", "eth_src=%s,eth_dst=33:33:ff:00:00:02,icmp6,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:2,"
                 "nw_ttl=255,icmpv6_type=135,icmpv6_code=0,nd_target=fe80::2,nd_sll=%s" % (M1, M1), None),
    ("icmp6-na", "eth_src=%s,eth_dst=%s,icmp6,ipv6_src=fe80::2,ipv6_dst=fe80::1,nw_ttl=255,"
                 "icmpv6_type=136,icmpv6_code=0,nd_target=fe80::2,nd_tll=%s" % (M2, M1, M2), None),
    ("icmp6-echo", BASE + ",icmp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,ipv6_label=0x12345,nw_ttl=64,"
                          "icmpv6_type=128,icmpv6_code=0", "00010002"),
    ("vlan-udp", BASE + ",dl_vlan=10,dl_vlan_pcp=3,udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,udp_src=1,udp_dst=2", None),
    ("vlan-arp", "eth_src=%s,eth_dst=ff:ff:ff:ff:ff:ff,dl_vlan=100,arp,arp_op=1,arp_spa=10.1.0.1,"
                 "arp_tpa=10.1.0.254,arp_sha=%s" % (M1, M1), None),
    ("tcp6-syn", BASE + ",tcp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,nw_ttl=64,tcp_src=40001,tcp_dst=443,"
                        "tcp_flags=syn", None),
    ("udp6", BASE + ",udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,nw_tos=4,udp_src=546,udp_dst=547", "00"),
    ("ip-frag-later", BASE + ",tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_frag=later", None),
    ("ip-frag-first", BASE + ",udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_frag=first,udp_src=7,udp_dst=9", None),
    ("sctp", BASE + ",sctp,nw_src=10.0.0.1,nw_dst=10.0.0.2,sctp_src=1234,sctp_dst=2905", None),
    ("igmp", BASE + ",ip,nw_proto=2,nw_src=10.0.0.1,nw_dst=224.0.0.22", None),
    ("ipv6-other-proto", BASE + ",ipv6,nw_proto=59,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2", None),
    ("mpls", BASE + ",mpls,mpls_label=100,mpls_tc=1,mpls_ttl=64,mpls_bos=1", "45000014000000004001000000000000000000000000"),
    ("ethertype-unknown", BASE + ",dl_type=0x88cc", "0102030405"),
]

# Malformed frames (hex), to check where parsing stops; name -> (hex, why)
MALFORMED = [
    ("eth-header-only", "ffffffffffff020000000001" "0800", "IPv4 EtherType, no IPv4 header"),
    ("ipv4-truncated", "020000000002020000000001" "0800" "45000028000100004006", "IPv4 header cut at 10 bytes"),
    ("ipv4-bad-ihl", "020000000002020000000001" "0800" "430000280001000040060000" "0a0000010a000002" "0000000000000000",
     "IHL 3 (< 5)"),
    ("ipv4-totlen-over", "020000000002020000000001" "0800" "450000ff0001000040110000" "0a0000010a000002"
                         "13881389000c0000", "total length beyond the frame"),
    ("tcp-truncated", "020000000002020000000001" "0800" "450000200001000040060000" "0a0000010a000002"
                      "9c4000500000000000000000", "TCP header cut at 12 bytes"),
    ("tcp-bad-offset", "020000000002020000000001" "0800" "450000280001000040060000" "0a0000010a000002"
                       "9c40005000000000000000003002ffff00000000", "TCP data offset 3 words"),
    ("arp-truncated", "ffffffffffff020000000001" "0806" "000108000604000102000000", "ARP body cut at 12 bytes"),
    ("arp-not-ethernet-ip", "ffffffffffff020000000001" "0806" "0006080006040001" "020000000001" "0a000001"
                            "000000000000" "0a0000fe", "ARP with hardware type 6"),
    ("arp-op-over-255", "ffffffffffff020000000001" "0806" "0001080006040101" "020000000001" "0a000001"
                        "000000000000" "0a0000fe", "ARP opcode 0x0101 (OVS keeps only opcodes below 256)"),
    ("llc-snap-ipv4", "020000000002020000000001" "002e" "aaaa03000000" "0800" "450000140001000040ff0000"
                      "0a0000010a000002" "00000000000000000000", "802.3 length, LLC/SNAP carrying IPv4"),
    ("llc-no-snap", "020000000002020000000001" "0026" "424203" "000000000000000000000000", "802.3, LLC (STP), no SNAP"),
    ("qinq-arp", "ffffffffffff020000000001" "88a80064" "8100000a" "0806" "0001080006040001" "020000000001" "0a000001"
                 "000000000000" "0a0000fe", "802.1ad tag, 802.1Q tag, then ARP"),
    ("icmp6-ns-dup-sll", "3333ff000002020000000001" "86dd" "6000000000283aff" "fe800000000000000000000000000001"
                         "ff0200000000000000000001ff000002" "8700000000000000" "fe800000000000000000000000000002"
                         "0101020000000001" "0101020000000003", "NS with two source link-layer address options"),
    ("ipv6-hbh-truncated", "020000000002020000000001" "86dd" "6000000000040040" "20010db8000000000000000000000001"
                           "20010db8000000000000000000000002" "3a000000", "hop-by-hop header shorter than 8 bytes"),
]


def run(argv, env, check=True):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (shlex.join(argv), p.stdout, p.stderr))
    return p


def hexdump_bytes(text):
    out = bytearray()
    for line in text.splitlines():
        if len(line) > 10 and line[8:10] == "  " and all(c in "0123456789abcdef" for c in line[:8]):
            out += bytes.fromhex(line[10:57].replace("-", " "))
    return bytes(out)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    pos, frames = 24, []
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frames.append(data[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    return frames


def linux_frames():
    """One frame of each kind in the kernel capture, named after what tcpdump says it is."""
    lines = run(["tcpdump", "-r", PCAP, "-nn", "-t"], dict(os.environ)).stdout.splitlines()
    seen, out = set(), []
    for frame, line in zip(read_pcap(PCAP), lines):
        kind = summarize(line)
        if kind in seen:
            continue
        seen.add(kind)
        out.append(("linux-" + kind, frame, "tcpdump: " + line.strip()))
    return out


SUMMARIES = [  # (regex on a `tcpdump -nn -t` line, name); first match wins
    (r"^IP6 :: .*multicast listener report", "mld-report-unspecified-src"),
    (r"multicast listener report", "mld-report"),
    (r"router solicitation", "icmp6-router-solicit"),
    (r"^IP6 :: .*neighbor solicitation", "icmp6-ns-dad"),
    (r"neighbor solicitation", "icmp6-ns"),
    (r"neighbor advertisement", "icmp6-na"),
    (r"ICMP6, echo request", "icmp6-echo-request"),
    (r"ICMP6, echo reply", "icmp6-echo-reply"),
    (r"ICMP6, destination unreachable", "icmp6-port-unreachable"),
    (r"ICMP echo request", "icmp-echo-request"),
    (r"ICMP echo reply", "icmp-echo-reply"),
    (r"ICMP .* unreachable", "icmp-port-unreachable"),
    (r"ARP, Request who-has (\S+) \(ff:ff:ff:ff:ff:ff\) tell \1,", "arp-gratuitous"),
    (r"ARP, Request", "arp-request"),
    (r"ARP, Reply", "arp-reply"),
    (r"Flags \[S\]", "tcp-syn"),
    (r"Flags \[S\.\]", "tcp-syn-ack"),
    (r"Flags \[P\.\]", "tcp-psh-ack"),
    (r"Flags \[F\.\]", "tcp-fin-ack"),
    (r"Flags \[R\.\]", "tcp-rst-ack"),
    (r"Flags \[\.\]", "tcp-ack"),
    (r"^IP6 \S+\.\d+ > \S+\.\d+: ", "udp6"),   # TCP lines matched above by their flags
    (r"^IP \S+\.\d+ > \S+\.\d+: ", "udp"),
]


def summarize(line):
    for rx, name in SUMMARIES:
        if re.search(rx, line):
            return name
    return "other"


class Sandbox:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ovs-pk.")
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_SYSCONFDIR=self.dir, OVS_PKGDATADIR="/usr/share/openvswitch")
        self.env.pop("OVS_CTL_TIMEOUT", None)
        self.db = "unix:%s/db.sock" % self.dir

    def start(self):
        start_daemons(self.dir, self.env)

    def vsctl(self, *args):
        return run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"] + list(args), self.env)

    def stop(self):
        stop_daemons(self.dir, self.env)


def ofp_print(sb, msg):
    out = run(OFCTL + ["ofp-print", msg.hex()], sb.env).stdout
    return out.rstrip("\n").split("\n")


def entry(sb, name, cmd, msg, extra):
    lines = ["name: " + name, "cmd: " + cmd] + ["%s: %s" % kv for kv in extra] + ["hex: " + msg.hex()]
    lines += ["text: " + t for t in ofp_print(sb, msg)]
    return "\n".join(lines) + "\n"


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data", "packets.golden")
    sb = Sandbox()
    ctl = None
    try:
        sb.start()
        frames = []   # (name, bytes, source description, packet-in ports)
        for name, flow, payload in COMPOSED:
            args = ["compose-packet", flow] + ([payload] if payload else [])
            # For ND, compose-packet exits 1 after printing the frame because its re-extracted flow
            # also carries nd_options_type, which the specified one lacks; the frame is complete.
            frame = hexdump_bytes(run(["ovs-ofctl"] + args, sb.env, check=False).stdout)
            if not frame:
                raise SystemExit("compose-packet printed nothing for " + flow)
            frames.append((name, frame, "ovs-ofctl " + shlex.join(args), (1, 2)))
        for name, frame, desc in linux_frames():
            frames.append((name, frame, "Linux kernel, " + desc, (1,)))
        for name, hx, why in MALFORMED:
            frame = bytes.fromhex(hx)
            frames.append(("bad-" + name, frame, "hand-made malformed frame: " + why, (1,)))

        sb.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=dummy", "protocols=OpenFlow13",
                 "fail-mode=secure", "other-config:datapath-id=0000000000000001",
                 "other-config:disable-in-band=true")
        for i in (1, 2, 3, 4):
            sb.vsctl("add-port", "br0", "p%d" % i, "--", "set", "interface", "p%d" % i, "type=dummy",
                     "ofport_request=%d" % i)
        ctl = capture.Controller()
        sb.vsctl("set-controller", "br0", ctl.url)
        ctl.accept(timeout=30)
        ctl.handshake()
        time.sleep(0.5)
        # Flows only after the controller is set: OVS flushes the flow table when a bridge gets
        # its first controller (connmgr_set_controllers).

        mgmt = "unix:%s/br0.mgmt" % sb.dir
        flows = ["table=0,priority=10,in_port=1,actions=controller",
                 "table=0,priority=10,in_port=2,actions=goto_table:1",
                 "table=1,priority=10,cookie=0xabc,in_port=2,actions=controller(max_len=40)",
                 "table=0,priority=10,in_port=3,actions=set_field:0x5->reg0,write_metadata:0x99,goto_table:2",
                 "table=2,priority=0,actions=controller"]
        for f in flows:
            run(OFCTL + ["add-flow", mgmt, f], sb.env)
        time.sleep(0.2)

        blocks = []
        extra_ports = {"tcp-syn": (3,), "arp-request": (3,), "bad-tcp-truncated": (2,), "bad-arp-truncated": (2,)}
        for name, frame, source, ports in frames:
            ports = ports + extra_ports.get(name, ())
            for port in ports:
                start = len(ctl.recorder.snapshot())
                run(["ovs-appctl", "-t", "ovs-vswitchd", "netdev-dummy/receive", "p%d" % port, frame.hex()], sb.env)
                try:
                    _, msg = ctl.wait_for_type(10, start=start, timeout=10)
                except TimeoutError:
                    raise SystemExit("no PACKET_IN for %s on p%d; log:\n%s" % (
                        name, port, open(sb.dir + "/ovs-vswitchd.log").read()[-3000:]))
                label = {1: "", 2: "-table1", 3: "-metadata-miss"}[port]
                blocks.append(entry(sb, "packet-in.%s%s" % (name, label),
                                    "capture: ovs-appctl netdev-dummy/receive p%d FRAME (OFPT_PACKET_IN from "
                                    "ovs-vswitchd 3.1; flows: %s)" % (port, "; ".join(flows)),
                                    msg, [("frame", frame.hex()), ("source", source)]))

        po_forms = ["in_port=controller packet=%s actions=output:4",
                    "in_port=1 packet=%s actions=output:2,output:4",
                    "in_port=LOCAL packet=%s actions=set_field:10->reg1,output:4"]
        for i, (name, frame, source, _) in enumerate(frames):
            form = po_forms[i % len(po_forms)]
            proxy = capture.Proxy(os.path.join(sb.dir, "br0.mgmt"))
            proxy.start_background()
            try:
                run(OFCTL + ["packet-out", proxy.url, form % frame.hex()], sb.env)
                proxy.join_all()
            finally:
                proxy.close()
            outs = [m for _, d, m in proxy.recorder.snapshot() if d == capture.TO_SWITCH and m[1] == 13]
            if len(outs) != 1:
                raise SystemExit("%s: expected one PACKET_OUT, got %d" % (name, len(outs)))
            blocks.append(entry(sb, "packet-out." + name,
                                "capture: ovs-ofctl -O OpenFlow13 packet-out br0 %s (request from ovs-ofctl 3.1)"
                                % shlex.quote(form % "FRAME"), outs[0], [("frame", frame.hex()), ("source", source)]))
        with open(out_path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(blocks))
        print("%s: %d entries" % (out_path, len(blocks)))
    finally:
        if ctl is not None:
            ctl.close()
        sb.stop()


if __name__ == "__main__":
    main()
