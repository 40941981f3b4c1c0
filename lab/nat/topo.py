#!/usr/bin/python3
"""NAT mode (DNAT by the connection tracker on the client's bridge, seed 003): clients and backends on one bridge.

    c1 10.0.0.2 ─2┐            ┌11─ b1 10.0.0.11  :8080
    c2 10.0.0.3 ─3┤   lbnat    ├12─ b2 10.0.0.12  :8080
                  │            └13─ b3 10.0.0.13  :8080 (not configured: the `add` check adds it)
                  └ VIP 10.0.0.100:80, lbMac ..:03:fe

The clients' ARP for the VIP is answered by lbnat. A connection's first packet passes the connection tracker
(zone 0xfb00), the select group loads its backend's tag into reg1, and the pick flow commits it with
nat(dst=BACKEND:8080); every later packet follows its connection-tracker entry. The backends answer the
client directly (one segment); lbnat's return flows pass their replies through the same zone, which
restores VIP:80 as their source. Failover: b1's link goes down on lbnat. The `add` check rewrites the
controller's configuration (run.sh's copy) to add b3 while long-lived connections are open.

Run through lab/run.sh (which starts OVS and the controller with a copy of lab/nat/config.json)."""
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ (owned by root) in the checkout
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lablib  # noqa: E402
from lablib import checks, ovs  # noqa: E402

VIP, PORT, TARGET = "10.0.0.100", 80, 8080
CLIENTS = [("c1", "10.0.0.2", 2), ("c2", "10.0.0.3", 3)]
BACKENDS = [("b1", "10.0.0.11", 11), ("b2", "10.0.0.12", 12)]
ADDED = ("b3", "10.0.0.13", 13)      # in the topology, added to the configuration by the `add` check
HELD = 50                            # long-lived connections across the addition


def mac(port):
    return "02:00:00:00:03:%02d" % port


def build(lab):
    br = lab.switch("lbnat", "00000000000000f1")
    for name, ip, port in CLIENTS + BACKENDS + [ADDED]:
        lab.link(lab.host(name, ip + "/24", mac(port)), br, port_b=port)


def setup(lab):
    return [lab.server(lab[name], name, TARGET, hold=True) for name, _, _ in BACKENDS + [ADDED]]


def peers_seen(lab, scn, report):
    """What the clients' answers came from, on the wire (every TCP segment each client received):
    VIP:80 only, never a backend's address or port; and the backends saw each client's own address."""
    tmp = tempfile.mkdtemp(prefix="peers-", dir=tempfile.gettempdir())
    stop = os.path.join(tmp, "stop")
    outs = {}
    for name, _, _ in CLIENTS:
        outs[name] = os.path.join(tmp, name + ".json")
        lab.background(lab[name], "%s %s %s %s > /dev/null 2>&1" % (lablib.PYTHON, os.path.join(lablib.HERE, "tcp_peers.py"), outs[name], stop))
    ovs.wait_until("the clients' packet counters listening", lambda: all(os.path.exists(o + ".ready") for o in outs.values()), 10)
    results = checks.traffic(lab, scn, 20)
    open(stop, "w").close()
    ovs.wait_until("the clients' packet counts", lambda: all(os.path.exists(o) for o in outs.values()), 10)
    wire = {c: json.load(open(o)) for c, o in outs.items()}
    want = "%s:%d" % (VIP, PORT)
    ok = all(set(w) == {want} for w in wire.values())
    ok = ok and all(set(r["peers"]) == {want} and r["failed"] == 0 for r in results.values())
    ok = ok and all(set(results[name]["seen"]) == {ip} for name, ip, _ in CLIENTS)
    report.check("peer", ok, "20 connections per client; TCP segments each client received, by source: %s; "
                 "the backends saw the clients' own addresses: %s"
                 % ("; ".join("%s <- %s" % (c, ", ".join("%s %d" % kv for kv in sorted(w.items()))) for c, w in wire.items()),
                    "; ".join("%s -> %s" % (c, ", ".join(r["seen"])) for c, r in results.items())))
    shutil.rmtree(tmp, ignore_errors=True)


def strip_comments(text):
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def add_backend(lab, scn, report):
    """HELD long-lived connections from c1, then b3 is added to the service in the file the
    controller runs with (it watches it and applies the difference); once b3 has buckets, every
    held connection must still answer, from the backend it started on."""
    name, ip, port = ADDED
    if not scn.live_config:
        report.check("add", False, "needs --live-config (lab/run.sh gives the controller a copy of the configuration to rewrite)")
        return
    tmp = tempfile.mkdtemp(prefix="held-", dir=tempfile.gettempdir())
    try:
        client = lab[CLIENTS[0][0]]
        lab.background(client, "%s %s %s %d %d %s > %s 2>&1" % (lablib.PYTHON, os.path.join(lablib.HERE, "tcp_hold.py"),
                                                               VIP, PORT, HELD, tmp, os.path.join(tmp, "log")))
        (opened, _) = ovs.wait_until("%d long-lived connections open" % HELD,
                                     lambda: os.path.exists(os.path.join(tmp, "opened.json")) and json.load(open(os.path.join(tmp, "opened.json"))), 60)
        with open(scn.live_config) as f:
            config = json.loads(strip_comments(f.read()))
        service = next(s for s in config["services"] if s.get("mode") == "nat")
        service["backends"].append({"name": name, "ip": ip, "targetPort": TARGET, "mac": mac(port), "bridge": "lbnat", "port": port})
        t = time.monotonic()
        with open(scn.live_config, "w") as f:     # (written in place: the controller's file watcher sees the change)
            json.dump(config, f, indent=2)
        scn.backends.append(lablib.Backend(name, None, (name, "lbnat"), ip))
        per, _ = ovs.wait_until("%s's buckets in the group" % name,
                                lambda: (lambda p: p if all(v[name] > 0 for v in p.values()) else None)(checks.bucket_counts(scn)), 30, interval=0.05)
        secs = time.monotonic() - t
        open(os.path.join(tmp, "go"), "w").close()
        final, _ = ovs.wait_until("the long-lived connections' answers",
                                  lambda: os.path.exists(os.path.join(tmp, "final.json")) and json.load(open(os.path.join(tmp, "final.json"))), 60)
        names = [b.name for b in scn.backends]
        results = checks.traffic(lab, scn, 10 * len(names), clients=[CLIENTS[1][0]])
        total, ok_new, failed_new = checks.summarize(scn, results)
        ok = (opened["opened"] == HELD and final["kept"] == HELD and final["moved"] == 0 and final["broke"] == 0
              and final["tally"] == opened["tally"] and failed_new == 0 and total.get(name, 0) > 0)
        report.check("add", ok,
                     "%d connections held open (c1 -> %s); %s added to the configuration file, in the group %.2f s later (%s); "
                     "held connections after it: %d kept, %d moved, %d broke (c1 -> %s)%s; new connections: %s"
                     % (opened["opened"], checks.fmt_counts(opened["tally"], names), name, secs,
                        "; ".join("%s: %s" % (br, checks.fmt_counts(v, names)) for br, v in per.items()),
                        final["kept"], final["moved"], final["broke"], checks.fmt_counts(final["tally"], names),
                        "; errors: %s" % final["errors"] if final["errors"] else "",
                        checks.tally_text(scn, results)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def scenario():
    return lablib.Scenario(
        mode="nat", title="DNAT by the connection tracker to the backends' target port on one bridge (lab/nat)",
        vip=VIP, port=PORT, bridges={"lbnat": "02:00:00:00:03:fe"}, lb_bridges=["lbnat"],
        clients=[lablib.Client(name, name, "lbnat") for name, _, _ in CLIENTS],
        backends=[lablib.Backend(name, None, (name, "lbnat"), ip) for name, ip, _ in BACKENDS],
        failover="b1", after_traffic=[peers_seen, add_backend])


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, scenario(), args, setup, build)


if __name__ == "__main__":
    sys.exit(main())
