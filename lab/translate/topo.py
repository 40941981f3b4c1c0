#!/usr/bin/python3
"""Translate mode (fake-MAC translation: direct routing across subnets through a router).

    c1 10.0.0.2 ─2┐                          ┌11─ b1 10.1.0.11
    c2 10.0.0.3 ─3┤ lbtrans ─1── r0 ──1─ lbback ├12─ b2 10.1.0.12
                  └ VIP 10.0.0.100     │      └13─ b3 10.2.0.13
                    lbMac ..:fe    10.0.0.1 | 10.1.0.1 + 10.2.0.1 (one leg, two subnets)

The clients' ARP for the VIP is answered by lbtrans. A connection's first packet goes through the
select group: the bucket writes aa:bb:<backend IPv4> into eth_dst, table 30 moves those 32 bits
into ip_dst and sends the packet to r0's MAC (learned in the datapath from r0's ARP). r0 routes it
to the backend with the client's source IP intact (rp_filter off). The backend answers the client
through r0; lbback rewrites the reply's source IP to the VIP. Failover: b1's link goes down on
lbback, and lbtrans stops choosing it.

Run through lab/run.sh (which starts OVS and the controller with lab/translate/config.json)."""
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402
from lablib import ovs  # noqa: E402

VIP, PORT = "10.0.0.100", 8080
CLIENTS = [("c1", "10.0.0.2", 2), ("c2", "10.0.0.3", 3)]
BACKENDS = [("b1", "10.1.0.11", 11), ("b2", "10.1.0.12", 12), ("b3", "10.2.0.13", 13)]


def fake_mac(ip):
    return "aa:bb:" + ":".join("%02x" % int(o) for o in ip.split("."))


def build(lab):
    front = lab.switch("lbtrans", "00000000000000a1")
    back = lab.switch("lbback", "00000000000000a2")
    r0 = lab.host("r0", "10.0.0.1/24")
    lab.link(r0, front, port_b=1, ip_a="10.0.0.1/24")
    lab.link(r0, back, port_b=1, ip_a="10.1.0.1/24")
    for name, ip, port in CLIENTS:
        lab.link(lab.host(name, ip + "/24", "02:00:00:00:00:%02x" % port, gateway="10.0.0.1"), front, port_b=port)
    for name, ip, port in BACKENDS:
        gw = ip.rsplit(".", 2)[0] + ".0.1"
        lab.link(lab.host(name, ip + "/24", "02:00:00:00:01:%02x" % port, gateway=gw), back, port_b=port)


def setup(lab):
    r0 = lab["r0"]
    r0.cmd("ip addr add 10.2.0.1/24 dev r0-eth1")
    # Routes between the subnets; replies come back with the VIP as source from the backend side,
    # which strict reverse-path filtering would drop.
    r0.cmd("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0"
           " net.ipv4.conf.r0-eth0.rp_filter=0 net.ipv4.conf.r0-eth1.rp_filter=0")
    return [lab.server(lab[name], name, PORT) for name, _, _ in BACKENDS]


def client_ip_kept(lab, scn, report):
    """Each backend saw the real client address, and lbback's SNAT flows rewrote the replies."""
    results = lablib.checks.traffic(lab, scn, 10)
    seen = {c: r["seen"] for c, r in results.items()}
    ok = all(set(seen[name]) == {ip} for name, ip, _ in CLIENTS)
    snat = {f.match.split("nw_src=")[1].split(",")[0]: f.n_packets
            for f in ovs.counted_flows("lbback") if f.table == 40 and "nw_src=" in f.match}
    report.check("client-ip", ok and all(v > 0 for v in snat.values()) and len(snat) == len(BACKENDS),
                 "source address the backends saw: %s; lbback SNAT flows (ip_src <- VIP) n_packets: %s"
                 % ("; ".join("%s -> %s" % (c, s) for c, s in seen.items()),
                    ", ".join("%s %d" % kv for kv in sorted(snat.items()))))


def scenario():
    return lablib.Scenario(
        mode="translate", title="fake-MAC translation across subnets through a router (lab/translate)",
        vip=VIP, port=PORT, bridges={"lbtrans": "02:00:00:00:00:fe", "lbback": "02:00:00:00:00:fd"},
        lb_bridges=["lbtrans"],
        clients=[lablib.Client(name, name, "lbtrans") for name, _, _ in CLIENTS],
        backends=[lablib.Backend(name, fake_mac(ip), (name, "lbback")) for name, ip, _ in BACKENDS],
        failover="b1", gateway_bridges=["lbtrans"], after_traffic=[client_ip_kept])


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
