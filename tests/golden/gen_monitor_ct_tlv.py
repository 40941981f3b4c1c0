#!/usr/bin/env python3
"""Writes tests/golden/data/monitor-ct-tlv.golden from Open vSwitch 3.1.

More vectors for the messages misc.golden has one or two of: ONF flow monitor
requests with flags/table/out_port/match and replies with INITIAL, ADDED,
MODIFIED and DELETED updates (with actions and timeouts), NXT_CT_FLUSH with
IPv6 / ICMP / reply tuples, NXT_CT_FLUSH without a zone, TLV table mods and a
reply with several mappings, NXT_SET_PACKET_IN_FORMAT nxt_packet_in, queue
requests for one port / queue.

Every `hex:` is bytes OVS put on the wire (ovs-ofctl's request or
ovs-vswitchd's reply, recorded by capture.py's proxy); every `text:` is
`ovs-ofctl -O OpenFlow13 ofp-print HEX` for that hex (golden_lib).

Starts its own sandbox (ovsdb-server + ovs-vswitchd --enable-dummy
--disable-system, clock stopped) in a fresh temporary directory and stops both
daemons and deletes the directory on exit.  Standard library only.

Usage: tests/golden/gen_monitor_ct_tlv.py [OUTDIR]   (default: tests/golden/data)
"""

import os
import sys
import tempfile
import shutil

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from capture import TO_SWITCH, FROM_SWITCH  # noqa: E402
from golden_lib import (Golden, GenError, Sandbox, display_cmd, run,  # noqa: E402
                        sandbox_env, start_daemons, stop_daemons)

BRIDGE = "gmon"


def start(d):
    env = sandbox_env(d)
    start_daemons(d, env)
    run(["ovs-appctl", "-t", "ovs-vswitchd", "time/stop"], env)
    return env


def generate(sb, g):
    br = BRIDGE
    sb.add_bridge(br, 0x71, ports=2)

    def cap(name, args, kinds, direction=None, note=None, **kw):
        full = ["--no-names"] + args
        _, msgs = sb.proxied(br, full, **kw)
        return g.add_selected(name, display_cmd(full, br), msgs, kinds,
                              direction_filter=direction, note=note)

    def has_barrier_reply(msgs):
        return any(m[1] == 21 for d, m in msgs if d == FROM_SWITCH)

    def n_monitor_replies(n):
        def pred(msgs):
            return sum(1 for d, m in msgs if d == FROM_SWITCH and m[1] == 19) >= n
        return pred

    def changes():
        sb.ofctl("add-flow", br, "cookie=0x7,table=1,priority=20,idle_timeout=30,"
                 "hard_timeout=60,ip,nw_dst=10.0.0.7 actions=output:2")
        sb.ofctl("mod-flows", br, "table=1,ip,nw_dst=10.0.0.7 actions=output:1")
        sb.ofctl("del-flows", br, "table=1,ip,nw_dst=10.0.0.7")

    changes_note = ("meanwhile, from another connection: add-flow "
                    "'cookie=0x7,table=1,priority=20,idle_timeout=30,hard_timeout=60,"
                    "ip,nw_dst=10.0.0.7 actions=output:2', mod-flows "
                    "'table=1,ip,nw_dst=10.0.0.7 actions=output:1', del-flows "
                    "'table=1,ip,nw_dst=10.0.0.7'")

    # A flow that exists before the monitor starts (reported as initial).
    sb.ofctl("add-flow", br, "cookie=0x5,table=1,priority=5,tcp,tp_dst=80 "
             "actions=write_actions(output:1),goto_table:2")
    cap("monitor-all-events", ["monitor", "{SW}", "watch:"],
        ["ONFST_FLOW_MONITOR request", "ONFST_FLOW_MONITOR reply"],
        popen_until=has_barrier_reply, during=changes,
        then_until=n_monitor_replies(4), note=changes_note)
    cap("monitor-table-outport-match",
        ["monitor", "{SW}", "watch:!initial,!actions,table=1,out_port=2,ip"],
        ["ONFST_FLOW_MONITOR request", "ONFST_FLOW_MONITOR reply"],
        popen_until=has_barrier_reply, during=changes,
        then_until=n_monitor_replies(3), note=changes_note)
    cap("monitor-packet-in-nxt", ["-P", "nxt_packet_in", "monitor", "{SW}"],
        ["NXT_SET_PACKET_IN_FORMAT"], popen_until=has_barrier_reply)
    sb.ofctl("del-flows", br)

    # NXT_CT_FLUSH variants.
    cap("ct-flush-all", ["ct-flush", "{SW}"], ["NXT_CT_FLUSH"])
    cap("ct-flush-ipv6-both-tuples",
        ["ct-flush", "{SW}", "zone=7",
         "ct_ipv6_src=2001:db8::1,ct_ipv6_dst=2001:db8::2,ct_nw_proto=17,ct_tp_src=5353,ct_tp_dst=53",
         "ct_ipv6_src=2001:db8::2,ct_ipv6_dst=2001:db8::1,ct_nw_proto=17,ct_tp_src=53,ct_tp_dst=5353"],
        ["NXT_CT_FLUSH"])
    cap("ct-flush-icmp", ["ct-flush", "{SW}",
                          "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=1,icmp_id=9,icmp_type=8,icmp_code=0"],
        ["NXT_CT_FLUSH"])

    # TLV table with several mappings.
    cap("tlv-map-add-several",
        ["add-tlv-map", "{SW}",
         "{class=0x102,type=0x80,len=8}->tun_metadata1,{class=0xffff,type=3,len=124}->tun_metadata63"],
        ["NXT_TLV_TABLE_MOD"])
    cap("tlv-map-dump-several", ["dump-tlv-map", "{SW}"], ["NXT_TLV_TABLE_REPLY"], FROM_SWITCH)
    cap("tlv-map-del-one", ["del-tlv-map", "{SW}", "{class=0x102,type=0x80,len=8}->tun_metadata1"],
        ["NXT_TLV_TABLE_MOD"])
    sb.ofctl("del-tlv-map", br)

    # Queue requests for one port / queue.
    cap("queue-stats-port-queue", ["queue-stats", "{SW}", "1", "0"],
        ["OFPST_QUEUE request", "OFPST_QUEUE reply"])
    cap("queue-get-config-any", ["queue-get-config", "{SW}"],
        ["OFPT_QUEUE_GET_CONFIG_REQUEST", "OFPT_QUEUE_GET_CONFIG_REPLY"])


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    d = tempfile.mkdtemp(prefix="ovs-mon-golden.")
    env = None
    try:
        env = start(d)
        sb = Sandbox(d)
        g = Golden(sb, "monitor-ct-tlv")
        generate(sb, g)
        g.write(outdir)
    finally:
        if env is not None:
            stop_daemons(d, env)
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenError as e:
        print("gen_monitor_ct_tlv.py: %s" % e, file=sys.stderr)
        sys.exit(1)
