#!/usr/bin/python3
"""Fullnat mode (DNAT + SNAT to the bridge's snatIp by the connection tracker, seed 001): backends behind a router
that has no route back to the clients.

    c1 172.16.0.2 ─2┐                                     ┌─ b1 10.1.1.2 :8080 (r0 10.1.1.1)
    c2 172.16.0.3 ─3┤ lbfnat ─1── r0 192.168.100.1 ───────┤
                    └ VIP 172.16.0.100:80                 └─ b2 10.1.2.2 :8080 (r0 10.1.2.1)
                      snatIp 192.168.100.254, lbMac ..:04:fe

The clients' ARP for the VIP is answered by lbfnat. A new connection gets nat(dst=BACKEND:8080) in
zone 0xfb00, then nat(src=snatIp) in zone 0xfb01 (lbfnat learns the client's MAC and port for the
replies) and leaves towards r0, whose MAC lbfnat learned from the controller's ARP probe (the
backends are not on this segment: their next hop falls back to the gateway). r0 routes to the
backend; the backend answers the snatIp, which r0 resolves by ARP to lbfnat's lbMac; lbfnat undoes
both translations and sends the reply to the client from VIP:80. r0 knows no route to 172.16.0.0/24:
without SNAT no reply could reach a client. No failover check: a backend that is not on the bridge
has no port whose state the controller could follow (and no health check is configured).

Run through lab/run.sh (which starts OVS and the controller with a copy of lab/fullnat/config.json)."""
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402
from lablib import checks  # noqa: E402

VIP, PORT, TARGET = "172.16.0.100", 80, 8080
SNAT_IP = "192.168.100.254"
CLIENTS = [("c1", "172.16.0.2", 2), ("c2", "172.16.0.3", 3)]
BACKENDS = [("b1", "10.1.1.2", "10.1.1.1"), ("b2", "10.1.2.2", "10.1.2.1")]   # (name, IP, r0's address on its link)


def build(lab):
    br = lab.switch("lbfnat", "00000000000000f2")
    r0 = lab.host("r0", "192.168.100.1/24", "02:00:00:00:04:01")
    lab.link(r0, br, port_b=1, ip_a="192.168.100.1/24")
    for name, ip, port in CLIENTS:
        lab.link(lab.host(name, ip + "/24", "02:00:00:00:04:%02d" % port), br, port_b=port)
    for name, ip, gw in BACKENDS:
        lab.link(r0, lab.host(name, ip + "/24", gateway=gw), ip_a=gw + "/24")


def setup(lab):
    # r0 routes between its legs; it has no default route and no route to the clients' subnet.
    lab["r0"].cmd("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0")
    return [lab.server(lab[name], name, TARGET) for name, _, _ in BACKENDS]


def snat_seen(lab, scn, report):
    """The backends saw the snatIp as every connection's source, never a client's address, and r0
    (the backends' only way out) has no route to the clients."""
    results = checks.traffic(lab, scn, 10)
    seen = {c: r["seen"] for c, r in results.items()}
    route = lab["r0"].cmd("ip route get %s 2>&1" % CLIENTS[0][1]).strip().splitlines()
    no_route = bool(route) and "unreachable" in route[0].lower()
    ok = all(set(s) == {SNAT_IP} for s in seen.values()) and all(r["failed"] == 0 for r in results.values()) and no_route
    report.check("snat-ip", ok, "source address the backends saw: %s (snatIp of lbfnat: %s); r0 `ip route get %s`: %s"
                 % ("; ".join("%s -> %s" % (c, s) for c, s in seen.items()), SNAT_IP, CLIENTS[0][1], route[0] if route else "-"))


def scenario():
    return lablib.Scenario(
        mode="fullnat", title="DNAT + SNAT to the snatIp by the connection tracker, backends behind a router (lab/fullnat)",
        vip=VIP, port=PORT, bridges={"lbfnat": "02:00:00:00:04:fe"}, lb_bridges=["lbfnat"],
        clients=[lablib.Client(name, name, "lbfnat") for name, _, _ in CLIENTS],
        backends=[lablib.Backend(name, None, None, ip) for name, ip, _ in BACKENDS],
        failover=None, gateway_bridges=["lbfnat"], after_traffic=[snat_seen])


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
