"""The checks every lab topology runs, in order: the controller programmed the bridges, the VIP's
ARP is answered by the switch with its lbMac, N TCP connections spread over the backends as the
group's buckets say, a backend's link going down takes it out of every group (no new connection
reaches it), its link coming back brings it back, and no packet went to the controller."""
import json
import os
import re
import time

from . import ovs
from .net import PYTHON, HERE

CLIENT = os.path.join(HERE, "tcp_client.py")


def pct(part, whole):
    return "%d%%" % round(100.0 * part / whole) if whole else "-"


def bucket_counts(scn):
    """{bridge: {backend: buckets}} for the bridges that balance the service."""
    out = {}
    for br in scn.lb_bridges:
        per_mac = ovs.buckets_per_mac(br)
        per_ip = ovs.buckets_per_nat_backend(br) if any(b.bucket_mac is None for b in scn.backends) else {}
        out[br] = {b.name: per_mac.get(b.bucket_mac, 0) if b.bucket_mac else per_ip.get(b.ip, 0) for b in scn.backends}
    return out


def fmt_counts(counts, names):
    return ", ".join("%s %d" % (n, counts.get(n, 0)) for n in names)


def step_programmed(lab, scn, report, since):
    def ready():
        for per in bucket_counts(scn).values():
            if any(v == 0 for v in per.values()):
                return False
        return all(any(f.learned for f in ovs.flows(br)) for br in scn.gateway_bridges)
    ovs.wait_until("every backend in the groups of " + ", ".join(scn.lb_bridges), ready, 30)
    learned = " and learned the gateway's MAC (table 50)" if scn.gateway_bridges else ""
    report.check("program", True, "%s got every backend into its group%s, %.1f s after the switches started"
                 % (", ".join(scn.lb_bridges), learned, time.monotonic() - since))


def step_flows(lab, scn, report):
    names = [b.name for b in scn.backends]
    for br in scn.bridges:
        per_table = ovs.flows_per_table(br)
        learned = sum(1 for f in ovs.flows(br) if f.learned)
        tables = ", ".join("table %d: %d" % kv for kv in per_table.items())
        report.info("flows " + br, "%d (%s)%s" % (sum(per_table.values()), tables,
                                                 "; %d learned by the datapath" % learned if learned else ""))
    for br, per in bucket_counts(scn).items():
        report.info("group " + br, "%d buckets: %s" % (sum(per.values()), fmt_counts(per, names)))


def step_arp(lab, scn, report):
    resolvers = {}
    for c in scn.clients:                     # clients behind one router share its resolution
        resolvers.setdefault((c.resolver, c.bridge), c)
    for c in resolvers.values():
        r = lab[c.resolver]
        lb_mac = scn.bridges[c.bridge]
        r.cmd("ip neigh flush all")
        # Any packet to the VIP makes the kernel ARP for it; a UDP datagram to the discard port is enough.
        r.cmd("echo -n x > /dev/udp/%s/9" % scn.vip)

        def resolved():
            words = r.cmd("ip neigh show %s" % scn.vip).split()
            return words[words.index("lladdr") + 1] if "lladdr" in words else None
        try:
            mac, _ = ovs.wait_until("%s resolving %s" % (c.resolver, scn.vip), resolved, 5)
        except TimeoutError as e:
            report.error("arp", e)
            continue
        hits = sum(f.n_packets for f in ovs.counted_flows(c.bridge)
                   if f.table == 10 and "arp_tpa=%s," % scn.vip in f.match and "arp_op=1" in f.match)
        report.check("arp", mac == lb_mac and hits > 0,
                     "%s: `ip neigh` %s lladdr %s (lbMac of %s: %s); answered by %s's ARP responder flow, n_packets=%d"
                     % (c.resolver, scn.vip, mac, c.bridge, lb_mac, c.bridge, hits))


def traffic(lab, scn, n, clients=None):
    """Runs N connections from every client (or those named); returns {client: result dict} (see tcp_client.py)."""
    out = {}
    for c in scn.clients:
        if clients is not None and c.name not in clients:
            continue
        raw = lab[c.name].cmd(PYTHON, CLIENT, scn.vip, str(scn.port), str(n)).strip().splitlines()
        try:
            out[c.name] = json.loads(raw[-1])
        except (IndexError, ValueError):
            out[c.name] = {"ok": 0, "failed": n, "tally": {}, "seen": {}, "errors": raw[-3:], "seconds": 0}
    return out


def summarize(scn, results):
    total = {}
    for r in results.values():
        for k, v in r["tally"].items():
            total[k] = total.get(k, 0) + v
    ok = sum(r["ok"] for r in results.values())
    failed = sum(r["failed"] for r in results.values())
    return total, ok, failed


def tally_text(scn, results, buckets=None):
    names = [b.name for b in scn.backends]
    parts = []
    for client, r in results.items():
        line = ", ".join("%s %d" % (n, r["tally"].get(n, 0)) for n in names)
        errs = "; errors: %s" % r["errors"] if r["failed"] else ""
        parts.append("%s -> %s (%d ok, %d failed, %.2f s)%s" % (client, line, r["ok"], r["failed"], r["seconds"], errs))
    if buckets:
        per = next(iter(buckets.values()))
        total = sum(per.values())
        parts.append("bucket shares: " + ", ".join("%s %s" % (n, pct(per[n], total)) for n in names))
    return "; ".join(parts)


def step_traffic(lab, scn, report, n, name="tcp"):
    buckets = bucket_counts(scn)
    results = traffic(lab, scn, n)
    total, ok, failed = summarize(scn, results)
    live = [b.name for b in scn.backends if any(per[b.name] > 0 for per in buckets.values())]
    # Every live backend gets a connection unless N is too small for that to be near-certain.
    spread = all(total.get(b, 0) > 0 for b in live) if n >= 10 * len(scn.backends) else True
    report.check(name, failed == 0 and spread,
                 "%d/%d connections to %s:%d answered; %s" % (ok, ok + failed, scn.vip, scn.port, tally_text(scn, results, buckets)))
    return results


class ControllerLog:
    """The controller's log file, read from a mark: shows what it logged about an event."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path) if self.path and os.path.exists(self.path) else 0

    def lines_since_mark(self, *needles):
        if not self.path or not os.path.exists(self.path):
            return []
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            lines = f.read().splitlines()
        return [l for l in lines if any(n in l for n in needles)]


def short(line):
    """'12:00:01.123 info: Category[0] => Remote=... => DatapathId=... Message' -> '12:00:01.123 Message'."""
    stamp, _, rest = line.partition(" ")
    text = re.sub(r"^(=> Remote=\S+ )+", "", rest.split("] ", 1)[-1])
    text = re.sub(r"^=> DatapathId=(\S+) ", r"dpid \1: ", text)
    return "%s %s" % (stamp, text)


def step_failover(lab, scn, report, n, log):
    b = scn.backend(scn.failover)
    names = [x.name for x in scn.backends]
    log.mark()
    t = time.monotonic()
    lab.link_status(b.link[0], b.link[1], "down")

    def replanned():
        per = bucket_counts(scn)
        return per if all(v[b.name] == 0 for v in per.values()) else None
    per, _ = ovs.wait_until("%s's buckets leaving the groups" % b.name, replanned, 30, interval=0.02)
    secs = time.monotonic() - t
    report.info("link down", "%s <-> %s; buckets moved off %s in %.2f s: %s" % (
        b.link[0], b.link[1], b.name, secs, "; ".join("%s: %s" % (br, fmt_counts(v, names)) for br, v in per.items())))
    for line in log.lines_since_mark("OvsLb.LoadBalancer", "Reconciled")[:5]:
        report.info("controller", short(line))
    results = traffic(lab, scn, n)
    total, ok, failed = summarize(scn, results)
    note = " (%s)" % scn.failover_note if scn.failover_note else ""
    report.check("failover", failed == 0 and total.get(b.name, 0) == 0,
                 "%d/%d answered, %d by %s%s; %s" % (ok, ok + failed, total.get(b.name, 0), b.name, note, tally_text(scn, results)))
    for extra in scn.after_failover:
        extra(lab, scn, report)
    return time.monotonic() - t


def step_recovery(lab, scn, report, n):
    b = scn.backend(scn.failover)
    t = time.monotonic()
    lab.link_status(b.link[0], b.link[1], "up")

    def back():
        per = bucket_counts(scn)
        return per if all(v[b.name] > 0 for v in per.values()) else None
    per, _ = ovs.wait_until("%s's buckets coming back" % b.name, back, 30, interval=0.02)
    secs = time.monotonic() - t
    results = traffic(lab, scn, n)
    total, ok, failed = summarize(scn, results)
    report.check("recover", failed == 0 and total.get(b.name, 0) > 0,
                 "link up: %s back in the groups in %.2f s (%s); %d/%d answered, %d by %s"
                 % (b.name, secs, "; ".join("%s: %d buckets" % (br, v[b.name]) for br, v in per.items()),
                    ok, ok + failed, total.get(b.name, 0), b.name))


def step_packet_ins(lab, scn, report, snoops):
    seen = {s.bridge: s.counts() for s in snoops}
    hits = {br: ovs.controller_flow_hits(br) for br in scn.bridges}
    ok = all(total > 0 and ins == 0 for ins, _, total in seen.values()) and sum(hits.values()) == 0
    renewals = sum(r for _, r, _ in seen.values())
    report.check("no-pktin", ok,
                 "PACKET_INs sent to the controller during the run (ovs-ofctl snoop): %s; CONTROLLER-action flow hits: %s%s"
                 % (", ".join("%s %d (of %d messages)" % (br, ins, total) for br, (ins, _, total) in seen.items()),
                    ", ".join("%s %d" % kv for kv in hits.items()),
                    "; besides, %d renewal%s of a reused connection entry (table 25: the SYN went on in the datapath)"
                    % (renewals, "" if renewals == 1 else "s") if renewals else ""))
