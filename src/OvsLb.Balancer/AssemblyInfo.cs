// OvsLb.Balancer: the load balancer's I/O at the edge of the pure planner (OvsLb.Pipeline.Planning):
// health checks (ARP by PACKET_OUT, TCP by socket), gateway probes, gratuitous ARP after a commit,
// timers, and the coordinator that hands the runtime each bridge's desired state.
[assembly: System.CLSCompliant(false)]
