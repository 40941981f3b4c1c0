// OvsLb.Pipeline: the load-balancing policy layer (issue "The load-balancing pipeline"). Pure
// functions from configuration to desired switch state; no sockets, no I/O.
[assembly: System.CLSCompliant(false)]
