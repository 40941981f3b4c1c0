"""Building a lab network with Mininet the way every topology here needs it: Open vSwitch bridges
on the userspace datapath (`datapath='user'`: no kernel module needed), `fail_mode=secure`,
OpenFlow 1.3 only, connected to the ovslb controller; hosts whose veths compute their own TCP
checksums (see nooffload.py) and have IPv6 off (no router solicitations or MLD reports flooding the
segments and the report). Background processes started in hosts are killed before the network is
stopped, so nothing outlives the lab."""
import os
import signal
import sys
import time

from . import compat

compat.install()          # before Mininet: its node.py imports distutils (gone in Python 3.12)

from mininet.log import setLogLevel  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.node import OVSSwitch, RemoteController  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


class Terminated(Exception):
    """SIGTERM/SIGHUP while the lab runs: unwinds through the finally blocks that clean up."""


def _raise_terminated(signum, _frame):
    raise Terminated("signal %d" % signum)


class LabNet:
    """A Mininet network plus the processes the lab started in its hosts."""

    def __init__(self, controller):
        setLogLevel(os.environ.get("LAB_MININET_LOG", "warning"))
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, _raise_terminated)
        ip, port = controller.rsplit(":", 1)
        self.net = Mininet(switch=OVSSwitch, controller=None, build=False, autoSetMacs=False,
                           waitConnected=False)
        self.net.addController("c0", controller=RemoteController, ip=ip, port=int(port))
        self._pids = []          # (host, pid) of background processes
        self.started = False

    def __getitem__(self, name):
        return self.net[name]

    def switch(self, name, dpid):
        """An OVS bridge NAME with datapath id DPID (16 hex digits), userspace datapath, secure fail mode."""
        return self.net.addSwitch(name, dpid=dpid, datapath="user", failMode="secure",
                                  protocols="OpenFlow13")

    def host(self, name, ip, mac=None, gateway=None):
        return self.net.addHost(name, ip=ip, mac=mac,
                                defaultRoute=("via " + gateway) if gateway else None)

    def link(self, a, b, port_a=None, port_b=None, ip_a=None, ip_b=None):
        """A veth between A and B; PORT_x pins the OpenFlow port number on a switch, IP_x sets a host side's address."""
        return self.net.addLink(a, b, port1=port_a, port2=port_b,
                                params1={"ip": ip_a} if ip_a else {},
                                params2={"ip": ip_b} if ip_b else {})

    def start(self):
        self.net.build()
        self.started = True
        self.net.start()
        for h in self.net.hosts:
            h.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
            h.cmd(PYTHON, os.path.join(HERE, "nooffload.py"), *[i.name for i in h.intfList() if i.name != "lo"])
        for s in self.net.switches:
            for i in s.intfList():
                if i.name != "lo" and os.path.exists("/proc/sys/net/ipv6/conf/%s" % i.name):
                    with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % i.name, "w") as f:
                        f.write("1")

    def background(self, host, command):
        """Starts COMMAND (a shell string) in HOST in the background; it is killed by stop()."""
        pid = host.cmd(command + " & echo $!").strip().splitlines()[-1]
        self._pids.append((host, int(pid)))
        return int(pid)

    def server(self, host, name, port):
        """Starts tcp_server.py NAME PORT in HOST; returns the path of its output (which says "ready")."""
        out = "/tmp/ovslb-lab-%s-%s.out" % (os.getpid(), host.name)
        self.background(host, "%s %s %s %d > %s 2>&1" % (PYTHON, os.path.join(HERE, "tcp_server.py"), name, port, out))
        return out

    def link_status(self, node, peer, status):
        """Takes NODE's interface towards PEER 'down' or 'up' (`ip link set`), like a NIC failing:
        the switch port on the other end loses carrier and OVS reports it (OFPPS_LINK_DOWN).
        Bringing it up restores the default route Linux dropped with the link."""
        n = self.net[node]
        for intf, _ in n.connectionsTo(self.net[peer]):
            n.cmd("ip link set %s %s" % (intf.name, status))
        if status == "up" and n.params.get("defaultRoute"):
            n.setDefaultRoute(n.params["defaultRoute"])

    def _settle_shells(self):
        """A signal can arrive while a host runs a command (node.waiting): interrupt it (^C on the
        shell's terminal) and read up to its end marker, or Mininet cannot use the shell to delete
        the host's links. A shell that does not settle within 5 s is left to net.stop() to kill."""
        deadline = time.monotonic() + 5
        for node in self.net.hosts:
            if node.shell and node.waiting:
                node.sendInt()
                while node.waiting and time.monotonic() < deadline:
                    node.monitor(timeoutms=200)
                node.waiting = False

    def stop(self):
        """Kills what the lab started in hosts, then stops the network (links, bridges, hosts).
        Each part is attempted even when an earlier one failed."""
        try:
            self._settle_shells()
        except Exception as e:  # keep cleaning up
            print("lab: cleanup: %s" % e, file=sys.stderr)
        for host, pid in self._pids:
            try:
                host.cmd("kill %d 2>/dev/null; wait %d 2>/dev/null" % (pid, pid))
            except Exception as e:
                print("lab: cleanup: %s: %s" % (host.name, e), file=sys.stderr)
            try:
                os.remove("/tmp/ovslb-lab-%s-%s.out" % (os.getpid(), host.name))
            except OSError:
                pass
        self._pids.clear()
        if self.started:
            self.started = False
            self.net.stop()
