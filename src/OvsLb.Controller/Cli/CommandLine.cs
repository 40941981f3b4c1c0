namespace OvsLb.Controller.Cli;

/// <summary>Verb dispatch for the <c>ovslb</c> executable.</summary>
public static class CommandLine
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 64;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        // Controller:Transport may name them, in `run` as in `validate`.
        Hosting.HostTransports.Register();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await stdout.WriteAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }
        try
        {
            return await Dispatch(args, stdout, stderr).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Each verb reports the errors it expects as typed messages; anything else is still one line
            // naming the verb (and exit 1), not a stack trace. The detail is there with OVSLB_DEBUG=1.
            await stderr.WriteLineAsync($"ovslb {args[0]}: internal error: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("OVSLB_DEBUG") == "1") await stderr.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return ExitError;
        }
    }

    private static Task<int> Dispatch(string[] args, TextWriter stdout, TextWriter stderr)
    {
        return args[0] switch
        {
            "ofp-print" => Task.FromResult(OfpPrintCommand.Run(args[1..], stdout, stderr)),
            "run" => RunCommand.RunAsync(args[1..], stderr),
            "validate" => Task.FromResult(ValidateCommand.Run(args[1..], stdout, stderr)),
            "flows" => FlowsCommand.RunAsync(args[1..], stdout, stderr),
            "diff" => DiffCommand.RunAsync(args[1..], stdout, stderr),
            "which" => WhichCommand.RunAsync(args[1..], stdout, stderr),
            "probe" => ProbeCommand.RunAsync(args[1..], stdout, stderr),
            "config" => ConfigCommand.RunAsync(args[1..], stdout, stderr),
            "cluster" => ClusterCommand.RunAsync(args[1..], stdout, stderr),
            _ => Task.FromResult(Unknown(args[0], stderr)),
        };
    }

    /// <summary>
    /// Runs a debugging verb's <paramref name="body"/>: a <see cref="UsageException"/> or <see cref="DebugException"/> is
    /// one line <c>ovslb VERB: message</c> on stderr, exit <paramref name="usageExit"/> or <see cref="ExitError"/>.
    /// </summary>
    public static async Task<int> RunVerbAsync(string verb, TextWriter stderr, Func<Task<int>> body, int usageExit = ExitUsage)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is UsageException or DebugException)
        {
            await stderr.WriteLineAsync($"ovslb {verb}: {e.Message}").ConfigureAwait(false);
            return e is UsageException ? usageExit : ExitError;
        }
    }

    private static int Unknown(string verb, TextWriter stderr)
    {
        stderr.WriteLine($"ovslb: unknown command '{verb}'");
        stderr.Write(Usage);
        return ExitUsage;
    }

    public const string Usage = """
        usage: ovslb COMMAND [ARGS]

        commands:
          run [--config FILE] [--Controller:Key=value]
                                       run the controller: accept switches on Controller:Listen
                                       (default 0.0.0.0:6653) and keep them programmed
          ofp-print [--hex] HEX...     decode OpenFlow 1.3 messages given as hex (spaces, colons allowed)
          ofp-print [--hex] FILE       decode a binary file of back-to-back OpenFlow messages
                                       ('-' reads binary from standard input)
              --hex                    also print each decoded message re-encoded, as a hex dump

        cluster mode (see README.md, "Several instances on etcd"):
          config put FILE --Cluster:Etcd=URL[,URL...] [--Cluster:Prefix=/ovslb]
                                       validate FILE as 'validate' does (errors as FILE:LINE:COL, exit 1,
                                       nothing written), then store it as the configuration every instance applies
          config get --Cluster:Etcd=URL[,URL...] [--Cluster:Prefix=/ovslb]
                                       print the stored configuration (its revision on stderr)
          cluster status --Cluster:Etcd=URL[,URL...] [--Cluster:Prefix=/ovslb]
                                       per bridge its master instance, generation id, the
                                       master lease's time left and the instances connected to it (from etcd)

        debugging (see README.md, "Debugging commands"):
          validate FILE...             check configuration files: every error as FILE:LINE:COL: path: message
                                       (exit 1), else a summary and the pipeline's warnings (exit 0)
          flows --config FILE --bridge NAME [--ports NAME=NO,...] [--down SVC/BACKEND,...]
                [--switch TARGET] [--plain | --plain-groups]
                                       the flows and groups the controller wants on the bridge, in ovs-ofctl
                                       syntax, annotated with table names and purposes; --plain: flow lines
                                       only (as flows/<scenario>/<bridge>.flows.txt), --plain-groups: groups only
          diff --config FILE --switch TARGET [--bridge NAME] [--down SVC/BACKEND,...]
                                       desired vs installed flows and groups, like ovs-ofctl diff-flows:
                                       '-' installed only, '+' desired only; exit 0 equal, 2 different, 1 error
          which --config FILE --bridge NAME [--ports ...] [--down ...] [--switch TARGET]
                PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT
                                       the service, dp_hash, bucket and backend the bridge gives a
                                       connection (OVS 3.1 userspace datapath), and the ofproto/trace to confirm
              --ports NAME=NO,...      OpenFlow port numbers of the ports the configuration names
                                       (without --switch every port is taken as up)
              --down SVC/BACKEND,...   treat these backends as failed (as health checks would)
              --switch TARGET          read ports (and installed state) from the switch: unix:PATH
                                       (e.g. /var/run/openvswitch/br0.mgmt), tcp:HOST:PORT (ptcp
                                       controller target), or a bridge name (its .mgmt socket)
          probe --config FILE --bridge NAME --port PORT [--switch TARGET] [--netns NS] [--timeout SECONDS]
                PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT
                                       live counterpart of which, on any datapath: sends one packet (a TCP SYN,
                                       then a RST; or a UDP datagram) from the client side of PORT to the
                                       bridge's lbMac, captures where it leaves the bridge (libpcap on the other
                                       ports' devices) and prints the egress port, the rewritten headers and the
                                       backend reached; exit 0 reached, 2 dropped or no backend, 1 error. Needs
                                       root (CAP_NET_RAW, and CAP_SYS_ADMIN to enter namespaces). A veth PORT is
                                       sent into from its peer (e.g. eth0 in a container's namespace), a tap or
                                       internal PORT from the device itself; a NIC cannot be probed.
                                       The packet is real: it learns a connection entry (or the tracker
                                       commits it) like a client's; use a source port no client uses.
              --port PORT              the port the packet enters the bridge on (name, OpenFlow number or LOCAL)
              --switch TARGET          as for which; default: the bridge's .mgmt socket
              --netns NS               the network namespace ovs-vswitchd's port devices are in (default: ours)
              --timeout SECONDS        how long to wait for the packet to leave (default 2)

        """;
}
