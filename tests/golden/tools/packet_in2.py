#!/usr/bin/env python3
"""NXT_PACKET_IN2 vectors with rich continuations, captured from ovs-vswitchd.

Usage (sandbox from ./sandbox.sh, bridge br0 with dummy ports 1-3):

    GOLDEN_SANDBOX=/tmp/ovs-sb ./sandbox.sh start
    GOLDEN_SANDBOX=/tmp/ovs-sb python3 packet_in2.py ../data/packet-in2.golden
    GOLDEN_SANDBOX=/tmp/ovs-sb ./sandbox.sh stop

capture.py's controller connects to br0, switches it to NXT_PACKET_IN2 with
the NXT_SET_PACKET_IN_FORMAT bytes ovs-ofctl sent in misc.golden
(monitor-packet-in2-watch), flows are added with ovs-ofctl and packets
(composed by ovs-ofctl compose-packet) are injected with
netdev-dummy/receive.  Only the NXT_PACKET_IN2 messages ovs-vswitchd sends
are kept; each `text:` is ofp-print of those bytes.  The continuation holds
the bridge UUID ovs-vswitchd picks at start-up, so those 16 bytes differ on
every run.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import capture  # noqa: E402
import golden_lib  # noqa: E402

SET_FORMAT_NXT2 = bytes.fromhex("0404001400000006000023200000001000000002")
BR = "br0"

FLOWS = [
    # Stack: two pushes before the pause, the pops after it.
    "table=0,priority=10,cookie=0xa1,udp,tp_dst=7001 actions=push:NXM_NX_REG0[],push:NXM_OF_ETH_SRC[],load:0x5->NXM_NX_REG0[],controller(pause),pop:NXM_NX_REG1[],pop:NXM_NX_REG2[0..15],output:2",
    # Conntrack + write_actions: conntracked flag, table/cookie of the rule, action set.  (A
    # write_actions after the pause in the same flow would be encoded by ovs-vswitchd as an
    # instruction inside the continuation's action list, which ofp-print then refuses.)
    "table=0,priority=10,cookie=0xa2,udp,tp_dst=7002 actions=ct(table=1)",
    "table=1,priority=10,cookie=0xb2,ct_state=+trk,udp actions=write_actions(output:3,set_queue:5),goto_table:5",
    "table=5,priority=10,cookie=0xe5 actions=controller(pause,userdata=01.02),set_field:0x7->reg3,resubmit(,2)",
    # Nested rules: resubmit into a table that pauses; both rules' remaining actions continue.
    "table=0,priority=10,cookie=0xa3,udp,tp_dst=7003 actions=resubmit(,4),output:1",
    "table=4,priority=10,cookie=0xd4 actions=controller(pause),mod_dl_dst:02:00:00:00:00:99,output:2",
    # Table miss in table 2 for the packets above that resubmit there.
    "table=2,priority=0 actions=drop",
]

PACKETS = [
    ("stack", 7001),
    ("conntracked-action-set", 7002),
    ("nested-rules", 7003),
]


def main():
    out = sys.argv[1]
    sbdir = os.environ.get("GOLDEN_SANDBOX", "/tmp/gb/sb")
    sb = golden_lib.Sandbox(sbdir)
    g = golden_lib.Golden(sb, os.path.splitext(os.path.basename(out))[0])
    ctl = capture.Controller()
    try:
        sb.vsctl("set-controller", BR, ctl.url, "--", "set", "controller",
                 BR, "connection-mode=out-of-band")
        ctl.accept(timeout=30)
        ctl.send(capture.hello_of13(1))
        ctl.wait_for_type(capture.OFPT_HELLO)
        ctl.send(SET_FORMAT_NXT2)
        for f in FLOWS:
            sb.ofctl("add-flow", BR, f)
        note = "flows: " + " | ".join(FLOWS)
        for name, port in PACKETS:
            flow = ("eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,"
                    "udp,nw_src=10.0.0.1,nw_dst=10.0.0.100,nw_ttl=64,"
                    "udp_src=5000,udp_dst=%d" % port)
            packet = sb.compose_packet(flow)
            mark = len(ctl.recorder.snapshot())
            sb.appctl("netdev-dummy/receive", "p1", packet.hex())
            _, msg = ctl.wait_for_type(
                4, start=mark, timeout=10,
                pred=lambda m: m[8:16] == bytes.fromhex("000023200000001e"))
            time.sleep(0.2)
            g.add("packet-in2-" + name,
                  "capture: ovs-vswitchd 3.1 -> capture.py controller (bridge "
                  "%s, OpenFlow13, after NXT_SET_PACKET_IN_FORMAT "
                  "nxt_packet_in2); trigger: ovs-appctl netdev-dummy/receive "
                  "p1 <ovs-ofctl compose-packet '%s'>" % (BR, flow),
                  msg, direction=capture.FROM_SWITCH,
                  note="VOLATILE: continuation.bridge is ovs-vswitchd's "
                       "per-run bridge UUID; " + note)
    finally:
        ctl.close()
        sb.vsctl("del-controller", BR, check=False)
    g.write(os.path.dirname(os.path.abspath(out)))


if __name__ == "__main__":
    main()
