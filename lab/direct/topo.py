#!/usr/bin/python3
"""Direct mode (direct server return on one L2 segment).

    client 10.0.0.2 ──1┐
                       lbdirect (lbMac 02:00:00:00:00:fe)
    s1 10.0.0.11 ─────11┤   each backend holds the VIP 10.0.0.100 on lo
    s2 10.0.0.12 ─────12┤   (arp_ignore=1, arp_announce=2) and answers the client directly
    s3 10.0.0.13 ─────13┘   (weight 2)

The client's ARP for the VIP is answered by the bridge; its TCP connections go through the
service's select group, whose buckets rewrite eth_dst to a backend's MAC and output to its port.
Failover: s1's link goes down.

Run through lab/run.sh (which starts OVS and the controller with lab/direct/config.json)."""
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402

VIP, PORT = "10.0.0.100", 80
BACKENDS = [("s1", 11), ("s2", 12), ("s3", 13)]


def build(lab):
    sw = lab.switch("lbdirect", "00000000000000d1")
    lab.link(lab.host("client", "10.0.0.2/24", "02:00:00:00:00:02"), sw, port_b=1)
    for name, port in BACKENDS:
        lab.link(lab.host(name, "10.0.0.%d/24" % port, "02:00:00:00:00:%d" % port), sw, port_b=port)


def hold_vip(host, vip):
    """The VIP on lo, never announced or answered by ARP: the switch answers for it."""
    host.cmd("ip addr add %s/32 dev lo" % vip)
    host.cmd("sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2")


def setup(lab):
    outputs = []
    for name, _ in BACKENDS:
        hold_vip(lab[name], VIP)
        outputs.append(lab.server(lab[name], name, PORT))
    return outputs


def scenario():
    return lablib.Scenario(
        mode="direct", title="direct routing on one segment (lab/direct)", vip=VIP, port=PORT,
        bridges={"lbdirect": "02:00:00:00:00:fe"}, lb_bridges=["lbdirect"],
        clients=[lablib.Client("client", "client", "lbdirect")],
        backends=[lablib.Backend(name, "02:00:00:00:00:%d" % port, (name, "lbdirect")) for name, port in BACKENDS],
        failover="s1")


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
