// OvsLb.Pipeline: the load-balancing policy layer. Pure functions from configuration (and a snapshot of
// health, slot memory and the bridges: Planning/PlanInputs) to desired switch state and the packets to
// send once it is committed; no sockets, no I/O, no clock. The I/O is OvsLb.Balancer's.
[assembly: System.CLSCompliant(false)]
