"""Building a lab network with Mininet the way every topology here needs it: Open vSwitch bridges
on the userspace datapath (`datapath='user'`: no kernel module needed), `fail_mode=secure`,
OpenFlow 1.3 only, connected to the ovslb controller; hosts whose veths compute their own TCP
checksums (see nooffload.py) and have IPv6 off (no router solicitations or MLD reports flooding the
segments and the report). Background processes started in hosts are killed before the network is
stopped, so nothing outlives the lab: stop() also takes down a network whose building was cut
short. Bridge names are fixed, so a bridge and its ports left by an earlier run that was killed
are deleted before the bridge is declared again (saying so)."""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import compat

compat.install()          # before Mininet: its node.py imports distutils (gone in Python 3.12)

from mininet.log import setLogLevel, warn  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.node import Host, OVSSwitch, RemoteController  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


class Terminated(Exception):
    """SIGTERM/SIGHUP while the lab runs: unwinds through the finally blocks that clean up."""


def _raise_terminated(signum, _frame):
    raise Terminated("signal %d" % signum)


def _descendants(pid):
    """PIDs of the processes below PID (children, their children, ...), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])   # (the name may hold spaces)
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class LabHost(Host):
    """A Mininet host whose shell starts with SIGINT at its default. Mininet interrupts a command
    running in a host by typing ^C on the shell's terminal (sendInt), which only works when the
    command does not ignore SIGINT; but lab/run.sh starts the topology in the background, where
    SIGINT is ignored, and every process inherits that (a host's tcp_client.py then ran on after
    an interrupt, and the cleanup waited for it)."""

    def _popen(self, cmd, **params):
        params.setdefault("preexec_fn", _default_sigint)
        return super()._popen(cmd, **params)


class LabController(RemoteController):
    """The lab's controller (run.sh started it and saw it listening). Mininet's own check,
    `echo A | telnet -e A IP PORT` in a node shell, can hang the lab: when the controller's HELLO
    (which ovslb sends at accept) reaches telnet before it quits, telnet prints its bytes, and the
    byte 0x01 among them makes Mininet's output reader (Node.monitor) wait forever for its PID
    marker (0x01, digits, CR LF), which never comes. So the check is made here with a plain socket;
    like Mininet's, it only warns."""

    def checkListening(self):
        try:
            with socket.create_connection((self.ip, self.port), timeout=5):
                pass
        except OSError as e:  # as Mininet's own check: a warning, the topology is built anyway
            warn("Unable to contact the remote controller at %s:%d (%s)\n" % (self.ip, self.port, e))


class LabNet:
    """A Mininet network plus the processes the lab started in its hosts."""

    def __init__(self, controller):
        setLogLevel(os.environ.get("LAB_MININET_LOG", "warning"))
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, _raise_terminated)
        ip, port = controller.rsplit(":", 1)
        self.net = Mininet(host=LabHost, switch=OVSSwitch, controller=None, build=False, autoSetMacs=False,
                           waitConnected=False)
        self.net.addController("c0", controller=LabController, ip=ip, port=int(port))
        self._pids = []          # (host, pid) of background processes
        self._stopped = False

    def __getitem__(self, name):
        return self.net[name]

    def switch(self, name, dpid):
        """An OVS bridge NAME with datapath id DPID (16 hex digits), userspace datapath, secure fail mode.
        A bridge of that name and its ports (NAME-ethN) left by an earlier run are deleted first."""
        self._remove_stale(name)
        return self.net.addSwitch(name, dpid=dpid, datapath="user", failMode="secure",
                                  protocols="OpenFlow13")

    @staticmethod
    def _remove_stale(bridge):
        """Deletes bridge BRIDGE from the system OVS and the root namespace's veths BRIDGE-ethN, left
        when an earlier run of the lab was killed before it could clean up (OVS keeps bridges in
        its database, across restarts). Prints what it deleted; nothing when there was nothing."""
        gone = []
        r = subprocess.run(["ovs-vsctl", "--timeout=10", "list-br"], capture_output=True, text=True, timeout=20)
        if r.returncode == 0 and bridge in r.stdout.split():
            subprocess.run(["ovs-vsctl", "--timeout=10", "--if-exists", "del-br", bridge],
                           capture_output=True, timeout=20, check=True)
            gone.append("bridge " + bridge)
        for name in sorted(os.listdir("/sys/class/net")):       # (the root namespace's interfaces)
            if re.fullmatch(re.escape(bridge) + r"-eth\d+", name):
                if subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=20).returncode == 0:
                    gone.append("interface " + name)
        if gone:
            print("  %-12s removed %s, left by an earlier run of the lab" % ("leftovers", ", ".join(gone)), flush=True)

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

    def server(self, host, name, port, hold=False):
        """Starts tcp_server.py NAME PORT in HOST (with HOLD, connections stay open: see its "hold");
        returns the path of its output (which says "ready")."""
        out = self._server_output(host)
        self.background(host, "%s %s %s %d%s > %s 2>&1" % (PYTHON, os.path.join(HERE, "tcp_server.py"), name, port,
                                                           " hold" if hold else "", out))
        return out

    @staticmethod
    def _server_output(host):
        # In $TMPDIR: lab/run.sh gives each topology a scratch directory it removes afterwards.
        return os.path.join(tempfile.gettempdir(), "ovslb-lab-%s-%s.out" % (os.getpid(), host.name))

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
        the host's links (net.stop() would wait for the command to end). A command still running
        3 s after ^C is killed, with everything else the shell started (the shell runs commands in
        its own process group, so only the processes below it can be told apart)."""
        for node in self.net.hosts:
            if node.shell and node.waiting:
                node.sendInt()
                if not self._wait_prompt(node, 3):
                    print("lab: cleanup: %s: the command did not end on ^C within 3 s; killing it (%s)"
                          % (node.name, node.lastCmd), file=sys.stderr, flush=True)
                    for pid in _descendants(node.pid):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    self._wait_prompt(node, 2)
                node.waiting = False

    @staticmethod
    def _wait_prompt(node, seconds):
        """Reads NODE's output until its command ended (Mininet's end marker), for at most SECONDS.
        (Not node.monitor(timeoutms): Mininet polls the pty for POLLOUT too, which is always
        ready, so its read blocks until the command prints something, whatever the timeout.)"""
        poller = select.poll()
        poller.register(node.stdout.fileno(), select.POLLIN)
        deadline = time.monotonic() + seconds
        while node.waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if poller.poll(int(left * 1000) + 1):
                node.monitor()          # (output is waiting: its read returns at once)
        return not node.waiting

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
                os.remove(self._server_output(host))
            except OSError:
                pass
        self._pids.clear()
        # Mininet creates each node's shell and each link's veths as they are declared, before
        # start(): a network whose building was cut short (a signal, a failing `ip link add`) has
        # to be stopped too. Mininet's stop() copes with bridges that were never started.
        if not self._stopped and (self.net.hosts or self.net.switches):
            self._stopped = True
            self.net.stop()
