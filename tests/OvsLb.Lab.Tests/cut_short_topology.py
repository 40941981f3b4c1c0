#!/usr/bin/python3
"""lab/distributed/topo.py with its building cut short by SIGTERM (what lab/run.sh sends on
Ctrl-C) right after the first host's link, i.e. after the veth between the two bridges (both its
ends in the root namespace) exists and before the network was started. Everything else is the real
topology and the real lablib. LabInterruptTests checks that this leaves nothing behind, and that
the bridges' stale leftovers it planted were removed (and reported) before building.

usage: cut_short_topology.py REPO"""
import os
import signal
import sys

sys.dont_write_bytecode = True
repo = sys.argv.pop(1)
sys.path.insert(0, os.path.join(repo, "lab", "distributed"))
sys.path.insert(0, os.path.join(repo, "lab"))
import lablib  # noqa: E402
import topo  # noqa: E402  (lab/distributed/topo.py)


def cut_short_build(lab):
    links = [0]
    link = lab.link

    def counting_link(*args, **kwargs):
        result = link(*args, **kwargs)
        links[0] += 1
        if links[0] == 2:
            os.kill(os.getpid(), signal.SIGTERM)      # the handler raises Terminated here
        return result
    lab.link = counting_link
    topo.build(lab)
    raise AssertionError("SIGTERM did not cut the build short")


def main():
    args = lablib.parse_args(__doc__)
    lab = lablib.LabNet(args.controller)
    return lablib.run(lab, topo.scenario(), args, topo.setup, cut_short_build)


if __name__ == "__main__":
    sys.exit(main())
