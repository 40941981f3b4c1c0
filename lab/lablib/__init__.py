"""The lab library: Mininet topologies for each load-balancer mode share this code to start the
network, run the common checks and print the report. A topology script (lab/<mode>/topo.py) builds
its nodes, declares a Scenario and calls run()."""
import argparse
import os
import signal
import tempfile
import time

from . import checks, ovs
from .net import LabNet, Terminated, PYTHON, HERE
from .report import Report
from .scenario import Backend, Client, Scenario

__all__ = ["LabNet", "Backend", "Client", "Scenario", "parse_args", "run", "PYTHON", "HERE"]


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--controller", default="127.0.0.1:6653", help="ADDRESS:PORT the ovslb controller listens on")
    p.add_argument("--connections", type=int, default=100, help="TCP connections per client per traffic check")
    p.add_argument("--controller-log", default=None, help="the controller's log file (to quote what it logged)")
    p.add_argument("--config", default=None, help="the controller's configuration file (shown in the report)")
    p.add_argument("--live-config", default=None,
                   help="the copy of the configuration the controller runs with, which a check may rewrite (run.sh makes it)")
    p.add_argument("--cli", action="store_true", help="open the Mininet CLI after the checks")
    return p.parse_args()


def wait_servers(outputs):
    ovs.wait_until("backend servers listening",
                   lambda: all(os.path.exists(o) and "ready" in open(o).read() for o in outputs), 15)


def run(lab, scn, args, setup, build):
    """Declares LAB's nodes and links (build(lab)), starts it, calls setup(lab) (addresses, routes,
    servers: returns the servers' output files), runs every check, stops everything, also when any
    of that was cut short. Returns the exit code (0 when every check passed)."""
    report = Report(scn.mode, scn.title)
    log = checks.ControllerLog(args.controller_log)
    snoops = []
    scn.live_config = args.live_config
    workdir = tempfile.mkdtemp(prefix="ovslb-lab-")
    try:
        shown = os.path.relpath(args.config, os.path.dirname(HERE) + "/..") if args.config else None
        report.info("controller", "%s%s%s" % (args.controller, ", config " + shown if shown else "",
                                              ", log " + args.controller_log if args.controller_log else ""))
        build(lab)                 # (inside the try: Mininet creates shells and veths right away)
        started = time.monotonic()
        lab.start()
        for br in scn.bridges:
            snoops.append(ovs.Snoop(br, os.path.join(workdir, br + ".snoop")))
        wait_servers(setup(lab))
        n = args.connections
        failover = [
            lambda: checks.step_failover(lab, scn, report, n, log),
            lambda: checks.step_recovery(lab, scn, report, max(n // 2, 10 * len(scn.backends))),
        ] if scn.failover else []
        steps = [
            lambda: checks.step_programmed(lab, scn, report, started),
            lambda: checks.step_flows(lab, scn, report),
            lambda: checks.step_arp(lab, scn, report),
            lambda: checks.step_traffic(lab, scn, report, n),
            lambda: [f(lab, scn, report) for f in scn.after_traffic],
            *failover,
            lambda: checks.step_packet_ins(lab, scn, report, snoops),
        ]
        for i, step in enumerate(steps):
            try:
                step()
            except (TimeoutError, RuntimeError, OSError, KeyError, ValueError) as e:
                report.error("step %d" % (i + 1), e)
                if i == 0:
                    break          # nothing is programmed: the other checks would only repeat that
        if args.cli:
            from mininet.cli import CLI
            from mininet.log import setLogLevel
            setLogLevel("output")      # the CLI prints command output at this level
            print("  Mininet CLI: the network stays as the checks left it; `exit` stops it.", flush=True)
            CLI(lab.net)
            print(flush=True)
    except (Terminated, KeyboardInterrupt) as e:
        report.check("run", False, "interrupted (%s); cleaning up" % (e or "Ctrl-C"))
    except Exception as e:  # the report must end with a RESULT line whatever happened
        report.error("run", e)
    finally:
        # A second Ctrl-C or TERM (run.sh forwards one) must not cut the cleanup short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for s in snoops:
            s.stop()
        try:
            lab.stop()
        except Exception as e:
            report.error("cleanup", e)
        for f in os.listdir(workdir):
            os.remove(os.path.join(workdir, f))
        os.rmdir(workdir)
    return report.finish()
