"""What a lab topology declares so the common checks can run against it: the VIP and port, the
bridges the controller programs (with their LB MAC), the clients (and which host ARPs for the VIP
on their behalf), the backends (and the MAC their buckets write into eth_dst, which is how a
bucket is traced back to a backend in dump-groups), and which backend's link the failover check
takes down."""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional


@dataclass
class Backend:
    name: str                 # host name; also the name its server answers with
    bucket_mac: str           # eth_dst the group buckets set for it (real MAC, or the translate fake MAC)
    link: tuple               # (node, node) whose link the failover check takes down


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
    failover: str                           # name of the backend whose link goes down
    gateway_bridges: List[str] = field(default_factory=list)   # bridges that must learn a next hop first
    # Extra checks: callables (lab, scenario, report) run after the main traffic and after failover.
    after_traffic: List[Callable] = field(default_factory=list)
    after_failover: List[Callable] = field(default_factory=list)
    failover_note: Optional[str] = None     # what the failover shows in this mode

    def backend(self, name):
        return next(b for b in self.backends if b.name == name)
