using System.Globalization;
using System.Text;
using OvsLb.Controller.Cli.Probe;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Hashing;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb probe --config FILE --bridge NAME --port PORT [--switch TARGET] [--netns NS] [--timeout SECONDS] PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT</c>:
/// the live counterpart of <c>which</c>. It sends one crafted packet (a TCP SYN or a UDP datagram, Ethernet destination the
/// bridge's lbMac, source the MAC of the device it is sent from) so that the bridge receives it on PORT, captures it where it
/// leaves the bridge (libpcap on every other port's device, and on PORT's own for a hairpin) and prints the egress port,
/// the headers as they left and the backend they reach. Exit code 0 when a backend was reached, 2 when the packet did not
/// leave the bridge within the timeout or left for no backend, 1 on error, 64 on a usage error.
/// <para>
/// Where it is sent from (<see cref="PortDevices.IngressOf"/>): a frame transmitted on a veth end is received by its peer,
/// so sending on the OVS side of a veth port would give it to the container, not to the bridge. For a veth port the probe
/// sends on the peer (found by ifindex, in its own namespace, entered with <c>setns</c> on a dedicated thread); for a tap or
/// internal port, on the device itself, which OVS reads. Where it leaves: frames the bridge outputs are transmitted on the
/// port's device (veth, NIC) or handed to the host by it (tap, internal), and libpcap sees both; the copy entering on PORT's
/// own device is told apart by carrying the headers it was sent with.
/// </para>
/// </summary>
public static class ProbeCommand
{
    /// <summary>Exit code when the packet did not leave the bridge, or left for no backend of the service (as <c>which</c>'s 2).</summary>
    public const int ExitNotBalanced = 2;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) => CommandLine.RunVerbAsync("probe", stderr, async () =>
    {
        var (rest, port, netns, timeout) = OwnOptions(args);
        var a = BridgeArgs.Parse("probe", rest);
        if (a.Ports.Count > 0 || a.Down.Count > 0) throw new UsageException("--ports and --down are which's: probe reads the ports from the switch, and the datapath decides");
        if (port is null) throw new UsageException("--port NAME is required (the bridge port the packet enters on)");
        var tuple = WhichCommand.ParseTuple(a.Positional);
        if (tuple.IsIpv6) throw new UsageException("probe sends IPv4 frames only in this version (IPv6 VIPs: use which, or real IPv6 traffic)");
        if (netns is not null && !File.Exists(Path.Combine("/run/netns", netns))) throw new DebugException($"--netns: network namespace '{netns}' does not exist (ip netns list)");
        var dp = await DebugPlan.BuildAsync(a with { Switch = a.Switch ?? a.RequireBridge() }, readInstalled: false).ConfigureAwait(false);
        var ports = dp.Switch!.Ports;
        string ovsBridge = ports.TryGetValue(OfctlFormat.Ports.Local, out var local) ? local.Name : dp.Bridge.Name;
        var inPort = FindPort(ports, port, ovsBridge);
        string where = netns is null ? "this host's network namespace" : $"network namespace {netns}";
        var devices = PortDevices.All(netns);
        var device = devices.GetValueOrDefault(inPort.Name)
            ?? throw new DebugException($"port '{inPort.Name}' of bridge {ovsBridge} has no local interface: no network device of that name in {where} (a patch, tunnel or dummy port; give --netns where ovs-vswitchd runs)");
        if (!device.Up) throw new DebugException($"port '{inPort.Name}' of bridge {ovsBridge}: its device is down (ip link set {inPort.Name} up)");
        var from = PortDevices.IngressOf(inPort.Name, device);
        var watches = new List<EgressWatch>();
        var unwatched = new List<string>();
        foreach (var p in ports.Values.OrderBy(p => p.PortNo))
        {
            var d = devices.GetValueOrDefault(p.Name);
            if (d is null) unwatched.Add(p.Name);
            else if (d.Up) watches.Add(new EgressWatch(p.PortNo, p.Name, d, p.PortNo == inPort.PortNo)); // nothing leaves by a device that is down
        }
        var probe = ProbeFrames.Create(tuple, MacAddress.Parse(from.Mac), dp.Bridge.LbMac);
        var seen = ProbeCapture.Run(probe, from, watches, timeout ?? DefaultTimeout);

        var sb = new StringBuilder();
        sb.Append(tuple).Append(" on bridge ").Append(dp.Bridge.Name).Append('\n');
        sb.Append("sent:     ").Append(tuple.Protocol == IpProtocol.Tcp ? "TCP SYN" : "UDP datagram").Append(' ').Append(probe.Source).Append(" -> ").Append(probe.Destination)
          .Append(" into port ").Append(PortText(inPort)).Append(", ").Append(from.How).Append('\n');
        if (unwatched.Count > 0) sb.Append("unseen:   ports without a local device, not captured: ").Append(string.Join(", ", unwatched)).Append('\n');
        if (seen.Count == 0)
        {
            await stdout.WriteAsync(sb.ToString()).ConfigureAwait(false);
            await stderr.WriteLineAsync($"ovslb probe: the packet did not leave bridge {ovsBridge} on any of its {watches.Count} captured ports within {Seconds(timeout ?? DefaultTimeout)} s (dropped by the pipeline?)").ConfigureAwait(false);
            return ExitNotBalanced;
        }
        var service = ProbeBackends.ServiceOf(dp.Config, dp.Bridge, tuple);
        (BackendConfig Backend, string Why)? reached = null;
        foreach (var f in seen.OrderBy(f => f.PortNo))
        {
            sb.Append("egress:   port ").Append(f.PortNo.ToString(CultureInfo.InvariantCulture)).Append(" (").Append(f.PortName).Append(")\n");
            sb.Append("  eth:    ").Append(f.EthSrc).Append(" -> ").Append(f.EthDst).Append(Was(f.EthSrc, probe.Source, f.EthDst, probe.Destination)).Append('\n');
            sb.Append("  ip:     ").Append(f.IpSrc).Append(" -> ").Append(f.IpDst).Append(Was(f.IpSrc, tuple.Source, f.IpDst, tuple.Destination)).Append('\n');
            sb.Append("  ").Append(tuple.ProtocolName).Append(":    ").Append(f.SrcPort).Append(" -> ").Append(f.DstPort).Append(Was(f.SrcPort, tuple.SourcePort, f.DstPort, tuple.DestinationPort)).Append('\n');
            if (reached is null && service is not null) reached = ProbeBackends.Reached(service, f);
        }
        if (service is null) sb.Append("backend:  none (").Append(tuple.Destination).Append(':').Append(tuple.DestinationPort).Append(" is not a ").Append(tuple.ProtocolName).Append(" service of bridge ").Append(dp.Bridge.Name).Append(")\n");
        else if (reached is not { } r) sb.Append("backend:  none of service ").Append(service.Name).Append("'s (").Append(service.Mode.ToString().ToLowerInvariant()).Append(") backends has these headers\n");
        else sb.Append("backend:  ").Append(r.Backend.Name).Append(" (service ").Append(service.Name).Append(", ").Append(service.Mode.ToString().ToLowerInvariant()).Append(": ").Append(r.Why).Append(")\n");
        if (seen.Count > 1) sb.Append("note:     ").Append(seen.Count).Append(" copies left the bridge: flooded (NORMAL did not know the destination MAC) or mirrored\n");
        if (tuple.Protocol == IpProtocol.Tcp) sb.Append("reset:    a RST for the same connection followed the SYN, so nothing stays half-open\n");
        await stdout.WriteAsync(sb.ToString()).ConfigureAwait(false);
        return reached is null ? ExitNotBalanced : CommandLine.ExitOk;
    });

    /// <summary>Takes probe's own options (--port, --netns, --timeout) out of <paramref name="args"/>; the rest are the shared ones.</summary>
    private static (string[] Others, string? Port, string? Netns, TimeSpan? Timeout) OwnOptions(string[] args)
    {
        string? port = null, netns = null;
        TimeSpan? timeout = null;
        var rest = new List<string>();
        var arg = new ArgCursor(args);
        while (arg.Next())
        {
            string Value() => arg.Value();
            switch (arg.Name)
            {
                case "--port": port = Value(); break;
                case "--netns": netns = Value(); break;
                case "--timeout":
                    string v = Value();
                    if (!double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || s <= 0 || s > 3600)
                    {
                        throw new UsageException($"--timeout: '{v}' is not a number of seconds (e.g. 2 or 0.5)");
                    }
                    timeout = TimeSpan.FromSeconds(s);
                    break;
                default: rest.Add(arg.Raw); break;
            }
        }
        return ([.. rest], port, netns, timeout);
    }

    private static PortDescription FindPort(IReadOnlyDictionary<uint, PortDescription> ports, string name, string bridge)
    {
        var p = ports.Values.FirstOrDefault(p => p.Name == name)
            ?? (name.Equals("LOCAL", StringComparison.OrdinalIgnoreCase) ? ports.GetValueOrDefault(OfctlFormat.Ports.Local) : null)
            ?? (uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out uint no) && ports.TryGetValue(no, out var byNo) ? byNo : null);
        return p ?? throw new DebugException($"bridge {bridge} has no port '{name}' (ports: {string.Join(", ", ports.Values.OrderBy(p => p.PortNo).Select(PortText))})");
    }

    private static string PortText(PortDescription p) =>
        p.PortNo == OfctlFormat.Ports.Local ? $"LOCAL ({p.Name})" : $"{p.PortNo.ToString(CultureInfo.InvariantCulture)} ({p.Name})";

    private static string Was<T>(T src, T sentSrc, T dst, T sentDst) where T : IEquatable<T>
    {
        var parts = new List<string>();
        if (!src.Equals(sentSrc)) parts.Add($"source was {sentSrc}");
        if (!dst.Equals(sentDst)) parts.Add($"destination was {sentDst}");
        return parts.Count == 0 ? "" : "   (" + string.Join(", ", parts) + ")";
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
