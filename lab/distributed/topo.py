#!/usr/bin/python3
"""Distributed mode (every host's bridge answers the VIP with its own LB MAC).

        host 1 (lbMac 02:00:00:00:10:01)          host 2 (lbMac 02:00:00:00:10:02)
    c1 10.0.0.1 ─2┐                                ┌2─ c2 10.0.0.2
    w11 .11 ─────5┤ lbhv1 ──1──────────────1── lbhv2 ├5─ w21 .21
    w12 .12 ─────6┘                                └6─ w22 .22

Both bridges balance the VIP 10.0.0.100:80 over all four backends (which hold the VIP on lo).
c1 resolves the VIP to lbhv1's lbMac and c2 to lbhv2's, so each client's connections are balanced
by its own host's bridge; a bucket for a backend on the other host sets its MAC and switches the
packet across the link. Failover: w11's link goes down; both bridges drop it, because a backend's
liveness follows its port on its own bridge.

Run through lab/run.sh (which starts OVS and the controller with lab/distributed/config.json)."""
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402
from lablib import ovs  # noqa: E402

VIP, PORT = "10.0.0.100", 80
LB_MACS = {"lbhv1": "02:00:00:00:10:01", "lbhv2": "02:00:00:00:10:02"}
CLIENTS = [("c1", "10.0.0.1", "lbhv1"), ("c2", "10.0.0.2", "lbhv2")]
BACKENDS = [("w11", 11, "lbhv1", 5), ("w12", 12, "lbhv1", 6), ("w21", 21, "lbhv2", 5), ("w22", 22, "lbhv2", 6)]


def build(lab):
    hv = {"lbhv1": lab.switch("lbhv1", "00000000000000e1"), "lbhv2": lab.switch("lbhv2", "00000000000000e2")}
    lab.link(hv["lbhv1"], hv["lbhv2"], port_a=1, port_b=1)
    for i, (name, ip, br) in enumerate(CLIENTS):
        lab.link(lab.host(name, ip + "/24", "02:00:00:00:00:%02x" % (i + 1)), hv[br], port_b=2)
    for name, n, br, port in BACKENDS:
        lab.link(lab.host(name, "10.0.0.%d/24" % n, "02:00:00:00:00:%d" % n), hv[br], port_b=port)


def setup(lab):
    outputs = []
    for name, _, _, _ in BACKENDS:
        h = lab[name]
        h.cmd("ip addr add %s/32 dev lo" % VIP)
        h.cmd("sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2")
        outputs.append(lab.server(h, name, PORT))
    return outputs


def service_hits():
    """{bridge: packets its service flow (table 20, VIP) sent into the select group}."""
    return {br: sum(f.n_packets for f in ovs.counted_flows(br) if f.table == 20 and "nw_dst=%s" % VIP in f.match)
            for br in LB_MACS}


def local_balancing(lab, scn, report):
    """One client at a time: only its own host's bridge balances its connections (the other
    bridge's service flow does not count a packet), and they reach backends on both hosts."""
    parts, ok = [], True
    for client, _, own in CLIENTS:
        before = service_hits()
        result = lablib.checks.traffic(lab, scn, 20, clients=[client])[client]
        after = service_hits()
        grew = {br: after[br] - before[br] for br in LB_MACS}
        remote = sum(v for k, v in result["tally"].items() if not k.startswith("w" + own[-1]))
        ok = ok and result["ok"] == 20 and grew[own] > 0 and all(v == 0 for br, v in grew.items() if br != own) and remote > 0
        parts.append("%s: 20 connections, service-flow packets %s, %d served by the other host's backends"
                     % (client, ", ".join("%s +%d" % kv for kv in grew.items()), remote))
    report.check("local-lb", ok, "; ".join(parts))


def scenario():
    return lablib.Scenario(
        mode="distributed", title="two hypervisor bridges, each answering the VIP with its own lbMac (lab/distributed)",
        vip=VIP, port=PORT, bridges=LB_MACS, lb_bridges=list(LB_MACS),
        clients=[lablib.Client(name, name, br) for name, _, br in CLIENTS],
        backends=[lablib.Backend(name, "02:00:00:00:00:%d" % n, (name, br)) for name, n, br, _ in BACKENDS],
        failover="w11", after_traffic=[local_balancing])


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
