#!/usr/bin/python3
"""Port-group mode (servers sharing one IP, distinct MACs on distinct ports).

    c1 10.10.1.2 ──┐                      ┌2─ p1 192.0.2.50 02:..:02:01  (master: first live port)
                   r0 ──1─ lbpg ──────────┼3─ p2 192.0.2.50 02:..:02:02
    c2 10.10.2.2 ──┘   192.0.2.1          └4─ p3 192.0.2.50 02:..:02:03
                       lbMac 02:00:00:00:01:fe (the group MAC)

r0 resolves the VIP 192.0.2.50 to the group MAC (answered by lbpg). TCP connections on any port
are hashed over the servers: the bucket sets eth_src to the group MAC and eth_dst to the server's
MAC. The servers' ARP for their gateway is answered with the group MAC too; their replies leave
with the group MAC as source towards r0's learned MAC. Ping to the VIP goes to the master. Failover:
the master p1's link goes down; p2 becomes master (the controller announces the VIP by
gratuitous ARP) and no new connection reaches p1.

Run through lab/run.sh (which starts OVS and the controller with lab/portgroup/config.json)."""
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402

VIP, PORT = "192.0.2.50", 80
SERVERS = [("p1", "02:00:00:00:02:01", 2), ("p2", "02:00:00:00:02:02", 3), ("p3", "02:00:00:00:02:03", 4)]
CLIENTS = [("c1", "10.10.1"), ("c2", "10.10.2")]


def build(lab):
    sw = lab.switch("lbpg", "00000000000000c1")
    r0 = lab.host("r0", "192.0.2.1/24")
    lab.link(r0, sw, port_b=1, ip_a="192.0.2.1/24")
    for name, net in CLIENTS:
        lab.link(lab.host(name, net + ".2/24", gateway=net + ".1"), r0, ip_b=net + ".1/24")
    for name, mac, port in SERVERS:
        lab.link(lab.host(name, VIP + "/24", mac, gateway="192.0.2.1"), sw, port_b=port)


def setup(lab):
    lab["r0"].cmd("sysctl -qw net.ipv4.ip_forward=1")
    return [lab.server(lab[name], name, PORT) for name, _, _ in SERVERS]


def echo_requests(lab):
    """{server: ICMP echo requests its kernel received} (Icmp InEchos in the host's /proc/net/snmp)."""
    out = {}
    for name, _, _ in SERVERS:
        rows = [l.split() for l in lab[name].cmd("cat /proc/net/snmp").splitlines() if l.startswith("Icmp:")]
        out[name] = int(rows[1][rows[0].index("InEchos")])
    return out


def ping_goes_to(lab, report, expected, label):
    before = echo_requests(lab)
    out = lab["c1"].cmd("ping -c 3 -i 0.2 -W 1 %s" % VIP)
    after = echo_requests(lab)
    got = {n: after[n] - before[n] for n in after}
    received = "3 received" in out
    report.check(label, received and got[expected] == 3 and sum(got.values()) == 3,
                 "ping c1 -> %s: %s; echo requests per server: %s (master %s)"
                 % (VIP, "3/3 replies" if received else "replies missing", ", ".join("%s %d" % kv for kv in got.items()), expected))


def master_before(lab, scn, report):
    ping_goes_to(lab, report, "p1", "master")


def master_after(lab, scn, report):
    ping_goes_to(lab, report, "p2", "master")


def scenario():
    return lablib.Scenario(
        mode="portgroup", title="same-IP servers on a port group behind a router (lab/portgroup)",
        vip=VIP, port=PORT, bridges={"lbpg": "02:00:00:00:01:fe"}, lb_bridges=["lbpg"],
        clients=[lablib.Client(name, "r0", "lbpg") for name, _ in CLIENTS],
        backends=[lablib.Backend(name, mac, (name, "lbpg")) for name, mac, _ in SERVERS],
        failover="p1", gateway_bridges=["lbpg"],
        after_traffic=[master_before], after_failover=[master_after],
        failover_note="p1 was the master")


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
