using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using OvsLb.Testing;
using OvsLb.Testing.Frames;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb which</c> against real packets through a real userspace bridge: a client namespace sends
/// TCP SYNs and UDP datagrams with chosen 5-tuples over a veth into a <c>datapath_type=netdev</c>
/// bridge programmed with <c>ovslb flows</c>. After one packet (and nothing else: the datapath flows
/// are purged before each), the only datapath flow that matches on dp_hash is the one the select group's
/// recirculation created for that packet; its dp_hash must be the one <c>which</c> predicted and its
/// action the MAC of <c>which</c>'s backend. A UDP datagram meets no group (multipath and the slot table): the
/// datapath flow it leaves matches its exact 5-tuple (multipath un-wildcards both ports) and sets the MAC of
/// <c>which</c>'s backend. Then the same for TCP with the services' groups switched to
/// <c>selection_method=dp_hash</c> (OpenFlow 1.5), which asks the datapath for OVS_HASH_ALG_L4: the
/// packet's RSS hash (computed in software for veth) mixed by <c>hash_int</c>, see <see cref="OvsDpHash"/>.
/// </summary>
[TestFixture, Category("Ovs")]
public class WhichRealPacketTests
{
    private const string Sender = """
        import socket, sys
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind(("eth0", 0))
        print("ready", flush=True)
        for line in sys.stdin:
            s.send(bytes.fromhex(line.strip()))
            print("sent", flush=True)
        """;

    private static readonly MacAddress LbMac = MacAddress.Parse("02:00:00:00:00:fe");

    [Test]
    public void The_dp_hash_of_each_real_packet_is_the_one_which_predicts()
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        using var lab = NetNamespaceLab.Start(hosts: 3);
        // Stateless services: the test reads the hashing datapath flow a single packet leaves. With persistence that
        // packet's second stage learns its connection entry, which makes OVS discard the first stage's megaflow
        // (it was computed before the entry existed); the bucket a new connection meets is the same either way.
        var vip = Ipv4Address.Parse($"{NetNamespaceLab.Subnet}.100");
        string backends = """[ { "name": "h2", "mac": "02:00:00:00:00:02", "port": 2 }, { "name": "h3", "mac": "02:00:00:00:00:03", "port": 3 } ]""";
        using var cfg = new Ovslb.TempFile($$"""
            {
              "bridges": [ { "name": "{{lab.Bridge}}", "datapathId": {{lab.DatapathId}}, "lbMac": "{{LbMac}}", "uplink": 1 } ],
              "services": [
                { "name": "web", "vip": "{{vip}}", "protocol": "tcp", "port": 80, "mode": "direct", "persistence": "none", "backends": {{backends}} },
                { "name": "dns", "vip": "{{vip}}", "protocol": "udp", "port": 53, "mode": "direct", "persistence": "none", "backends": {{backends}} }
              ]
            }
            """);
        string[] flowsArgs = ["flows", "--config", cfg.Path, "--bridge", lab.Bridge];
        using var ff = new Ovslb.TempFile(Ovslb.Run([.. flowsArgs, "--plain"]).Out, ".txt");
        string groups = Ovslb.Run([.. flowsArgs, "--plain-groups"]).Out;
        using var gf = new Ovslb.TempFile(groups, ".txt");
        lab.Ovs.Ofctl("add-groups", lab.Bridge, gf.Path);
        lab.Ovs.Ofctl("add-flows", lab.Bridge, ff.Path);

        var tuples = Enumerable.Range(0, 100).Select(i => new FiveTuple(i % 2 == 0 ? IpProtocol.Tcp : IpProtocol.Udp,
            new Ipv4Address((uint)rnd.NextInt64(0x01000000, 0xdf000000)), (ushort)rnd.Next(1024, 65536), vip, i % 2 == 0 ? (ushort)80 : (ushort)53)).ToList();
        var answers = tuples.Select(t => WhichAnswer.Parse(t, Ovslb.Run("which", "--config", cfg.Path, "--bridge", lab.Bridge,
            t.ProtocolName, $"{t.Source}:{t.SourcePort}", $"{t.Destination}:{t.DestinationPort}").Out)).ToList();

        using var sender = StartSender(lab.Hosts[0].Namespace.Name);
        try
        {
            var clock = Stopwatch.StartNew();
            foreach (var a in answers)
            {
                if (a.Tuple.Protocol == IpProtocol.Udp)
                {
                    string flow = SendAndReadUdpFlow(lab.Ovs, sender, a.Tuple);
                    Assert.That(flow, Does.Contain("set(eth(dst=02:00:00:00:00:0" + a.Backend[1..] + "))"), $"{a.Tuple}: which said {a.Backend} (slot {a.Bucket})\n{flow}");
                    continue;
                }
                var (hash, line, dump) = SendAndReadRecirculation(lab.Ovs, sender, a.Tuple);
                Assert.That(dump, Does.Contain("actions:hash(sym_l4(0)),recirc("), dump);
                Assert.That(hash, Is.EqualTo(a.DpHash), $"{a.Tuple}: datapath dp_hash 0x{hash:x8}, which said 0x{a.DpHash:x8}\n{line}");
                Assert.That(line, Does.Contain("set(eth(dst=02:00:00:00:00:0" + a.Backend[1..] + "))"), $"{a.Tuple}: which said {a.Backend}\n{line}");
            }
            TestContext.Out.WriteLine($"sym_l4 and multipath: {answers.Count} real packets ({answers.Count(a => a.Tuple.Protocol == IpProtocol.Tcp)} TCP: dp_hash and backend; the UDP ones: backend), as which said ({clock.ElapsedMilliseconds} ms)");

            // OVS_HASH_ALG_L4 (selection_method=dp_hash, OpenFlow 1.5): the RSS hash path.
            lab.Ovs.Vsctl("set", "bridge", lab.Bridge, "protocols=OpenFlow13,OpenFlow15");
            foreach (var g in Ovslb.Lines(groups).Where(g => g.Contains(",type=select,", StringComparison.Ordinal)))   // not the UDP service's ff groups
            {
                var m = Regex.Match(g, @"^group_id=(\d+),type=select,(.*)$");
                lab.Ovs.Ofctl("-O", "OpenFlow15", "mod-group", lab.Bridge, $"group_id={m.Groups[1].Value},type=select,selection_method=dp_hash,{m.Groups[2].Value}");
            }
            clock.Restart();
            int n = 0;
            foreach (var t in tuples.Where(t => t.Protocol == IpProtocol.Tcp))   // UDP services have no group
            {
                var (hash, line, dump) = SendAndReadRecirculation(lab.Ovs, sender, t);
                uint expected = OvsDpHash.Compute(DpHashAlgorithm.L4, t);
                Assert.That(dump, Does.Contain("actions:hash(l4(0)),recirc("), dump);
                Assert.That(hash, Is.EqualTo(expected), $"{t}: datapath dp_hash 0x{hash:x8}, OvsDpHash L4 0x{expected:x8}\n{line}");
                n++;
            }
            TestContext.Out.WriteLine($"l4: {n} real packets, dp_hash = hash_int(5-tuple RSS hash, 0) for each ({clock.ElapsedMilliseconds} ms)");
        }
        finally
        {
            sender.StandardInput.Close();
            if (!sender.WaitForExit(5000)) sender.Kill(entireProcessTree: true);
        }
    }

    /// <summary>A python sender of raw frames inside <paramref name="ns"/>: one hex frame per stdin line, "sent" per frame.</summary>
    private static Process StartSender(string ns)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-c", Sender }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        Assert.That(p.StandardOutput.ReadLine(), Is.EqualTo("ready"));
        return p;
    }

    /// <summary>Purges the datapath flows, sends the UDP datagram, and returns the datapath flow it created (matching its exact ports).</summary>
    private static string SendAndReadUdpFlow(OvsSandbox ovs, Process sender, FiveTuple t)
    {
        ovs.Appctl("revalidator/purge");
        var frame = TestFrames.Udp(new EthernetHeader(LbMac, MacAddress.Parse("02:00:00:00:00:01")), new Ipv4Header(t.Source, t.Destination), t.SourcePort, t.DestinationPort, "ovslb"u8);
        sender.StandardInput.WriteLine(Convert.ToHexString(frame));
        sender.StandardInput.Flush();
        Assert.That(sender.StandardOutput.ReadLine(), Is.EqualTo("sent"));
        string key = $"udp(src={t.SourcePort},dst={t.DestinationPort})";
        string dump = "";
        Assert.That(ProcessRunner.WaitUntil(() => (dump = ovs.Appctl("dpctl/dump-flows").Stdout).Contains(key, StringComparison.Ordinal), TimeSpan.FromSeconds(5)), Is.True,
            $"{t}: no datapath flow matching {key}:\n{dump}");
        return dump.Split('\n').Single(l => l.Contains(key, StringComparison.Ordinal));
    }

    /// <summary>Purges the datapath flows, sends the packet, and returns the dp_hash of the recirculated flow it created.</summary>
    private static (uint Hash, string Line, string Dump) SendAndReadRecirculation(OvsSandbox ovs, Process sender, FiveTuple t)
    {
        ovs.Appctl("revalidator/purge");
        var eth = new EthernetHeader(LbMac, MacAddress.Parse("02:00:00:00:00:01"));
        var ip = new Ipv4Header(t.Source, t.Destination);
        var frame = t.Protocol == IpProtocol.Tcp
            ? TestFrames.Tcp(eth, ip, new TcpHeader(t.SourcePort, t.DestinationPort, Sequence: 1))
            : TestFrames.Udp(eth, ip, t.SourcePort, t.DestinationPort, "ovslb"u8);
        sender.StandardInput.WriteLine(Convert.ToHexString(frame));
        sender.StandardInput.Flush();
        Assert.That(sender.StandardOutput.ReadLine(), Is.EqualTo("sent"));
        string dump = "";
        List<string> lines = [];
        Assert.That(ProcessRunner.WaitUntil(() => (lines = (dump = ovs.Appctl("dpctl/dump-flows").Stdout).Split('\n').Where(l => l.Contains("dp_hash(", StringComparison.Ordinal)).ToList()).Count > 0,
            TimeSpan.FromSeconds(5)), Is.True, $"{t}: no recirculated datapath flow");
        Assert.That(lines, Has.Count.EqualTo(1), $"{t}: one packet, one recirculated flow:\n{dump}");
        var m = Regex.Match(lines[0], @"dp_hash\(0x([0-9a-f]+)/0x[0-9a-f]+\)");
        return (uint.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), lines[0], dump);
    }
}
