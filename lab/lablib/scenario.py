"""What a lab topology declares so the common checks can run against it: the VIP and port, the
bridges the controller programs (with their LB MAC), the clients (and which host ARPs for the VIP
on their behalf), the backends (and the MAC their buckets write into eth_dst, which is how a
bucket is traced back to a backend in dump-groups; in the NAT modes, whose buckets write no packet
field, its IP), and which backend's link the failover check takes down (none: no failover check)."""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional


@dataclass
class Backend:
    name: str                 # host name; also the name its server answers with
    bucket_mac: Optional[str]  # eth_dst the group buckets set for it (real MAC, or the translate fake MAC); None in NAT modes
    link: Optional[tuple]     # (node, node) whose link the failover check takes down
    ip: Optional[str] = None  # NAT modes: its IP, which the pick flow its bucket leads to rewrites the VIP to


@dataclass
class Client:
    name: str                 # host that opens the TCP connections
    resolver: str             # host that ARPs for the VIP (the client, or its router)
    bridge: str               # bridge whose lbMac the resolver must learn


@dataclass
class Scenario:
    mode: str
    title: str
    vip: str
    port: int
    bridges: Dict[str, str]                 # every controlled bridge -> its lbMac
    lb_bridges: List[str]                   # bridges that balance the service (hold its group)
    clients: List[Client]
    backends: List[Backend]
    failover: Optional[str]                 # name of the backend whose link goes down (None: no failover/recover checks)
    gateway_bridges: List[str] = field(default_factory=list)   # bridges that must learn a next hop first
    # Extra checks: callables (lab, scenario, report) run after the main traffic and after failover.
    after_traffic: List[Callable] = field(default_factory=list)
    after_failover: List[Callable] = field(default_factory=list)
    failover_note: Optional[str] = None     # what the failover shows in this mode
    live_config: Optional[str] = None       # the file the controller runs with, which checks may rewrite (run.sh's copy)

    def backend(self, name):
        return next(b for b in self.backends if b.name == name)
