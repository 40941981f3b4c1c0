using System.Globalization;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// UDP over IPv6 (issue 12, second slice): <see cref="UdpSlotTrafficTests"/>' spread proof with IPv6 datagrams. The
/// multipath action's <c>symmetric_l3l4+udp</c> hash covers IPv6 addresses as well as both ports, so 1,000 UDP flows from
/// ONE client IPv6 address spread over the slot table. Two direct-mode services on bridge <c>br-v7u</c> with four backends:
/// <c>none6</c> (IPv6 only, port 53, persistence "none") and <c>dual</c> (dual stack, port 54, persistence "connection"),
/// whose slot flows exist once per family. Names start with <c>v7</c>.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class Ipv6UdpTrafficTests : LiveLbFixture
{
    private const string Bridge = "br-v7u";
    private const string Vip6 = "fd00:77::100";
    private const string DualVip4 = "10.77.0.101";
    private const string DualVip6 = "fd00:77::101";
    private static readonly string[] Hosts = ["v7u1", "v7u2", "v7u3", "v7u4"];

    private static string Backend(int i) => $$"""{ "name": "v7u{{i}}", "ip": "fd00:77::1{{i}}", "mac": "02:00:00:00:77:1{{i}}", "port": "v7u{{i}}" }""";

    private static readonly string Config = $$"""
        {
          "bridges": [ { "name": "br-v7u", "datapathId": "0x9a77", "lbMac": "02:00:00:00:77:fe", "uplink": "v7uc" } ],
          "services": [
            { "name": "none6", "vip": "{{Vip6}}", "protocol": "udp", "port": 53, "mode": "direct", "persistence": "none",
              "backends": [ {{string.Join(", ", Enumerable.Range(1, 4).Select(Backend))}} ] },
            { "name": "dual", "vip": ["{{DualVip4}}", "{{DualVip6}}"], "protocol": "udp", "port": 54, "mode": "direct",
              "backends": [ {{string.Join(", ", Enumerable.Range(1, 4).Select(Backend))}} ] }
          ]
        }
        """;

    private TopologyHost Client => Topo.Host("v7uc");

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec().Bridge(Bridge, 0x9a77).Host("v7uc", Bridge, 1, "10.77.0.2/24", mac: "02:00:00:00:77:02");
        for (int i = 0; i < Hosts.Length; i++) spec.Host(Hosts[i], Bridge, (uint)(i + 2), $"10.77.0.1{i + 1}/24", mac: $"02:00:00:00:77:1{i + 1}");
        StartLab(spec, Config, topo =>
        {
            topo.Host("v7uc").EnableIpv6("fd00:77::2/64");
            for (int i = 0; i < Hosts.Length; i++)
            {
                var h = topo.Host(Hosts[i]);
                h.EnableIpv6($"fd00:77::1{i + 1}/64");
                h.HoldVip6(Vip6);
                h.HoldVip6(DualVip6);
                h.HoldVip(DualVip4);
                h.StartServer(53, bind: Vip6, protocol: TrafficProtocol.Udp);
                h.StartServer(54, bind: DualVip6, protocol: TrafficProtocol.Udp);
                h.StartServer(54, bind: DualVip4, protocol: TrafficProtocol.Udp);
            }
        });
        Live.WaitInstalled(Bridge);
    }

    private TrafficReport Flows(string vip, int port, IReadOnlyList<int> sourcePorts) =>
        Client.RunClient(new TrafficRequest(vip, port) { Protocol = TrafficProtocol.Udp, SourcePorts = sourcePorts, Parallel = 16 });

    private static int Moved(TrafficReport a, TrafficReport b)
    {
        var x = a.BackendBySourcePort();
        var y = b.BackendBySourcePort();
        return x.Keys.Count(p => x[p] != y.GetValueOrDefault(p));
    }

    /// <summary>
    /// 1,000 UDP flows from one IPv6 address over 4 equal backends (fixed source ports, so the figure is the same on every
    /// run); the bound is issue 12's max/mean ≤ 1.15. The same flows again reach the same backends. The dual-stack service
    /// answers on both VIPs, its IPv6 half spread as well.
    /// </summary>
    [Test]
    public void A_thousand_udp_flows_from_one_ipv6_address_spread_by_port_and_keep_their_backend()
    {
        var ports = TrafficRequest.PortRange(40000, 1000);
        Topo.Ovs.Appctl("revalidator/purge");
        var first = Flows(Vip6, 53, ports);
        int megaflows = Topo.Ovs.Appctl("dpctl/dump-flows").Stdout.Split('\n').Count(l => l.Contains("dst=" + Vip6 + ",", StringComparison.Ordinal) && l.Contains("udp(src=", StringComparison.Ordinal));
        var again = Flows(Vip6, 53, ports.Reverse().ToArray());
        var dual6 = Flows(DualVip6, 54, ports);
        var dual6Again = Flows(DualVip6, 54, ports.Reverse().ToArray());
        var dual4 = Flows(DualVip4, 54, TrafficRequest.PortRange(40000, 200));
        string[] four = [.. Hosts];
        double spread = first.MaxOverMean(four), dualSpread = dual6.MaxOverMean(four);
        int moved = Moved(first, again), dualMoved = Moved(dual6, dual6Again);
        var slotFlows = Live.InstalledByController(Bridge).Flows.Where(f => f.Contains("table=27, ", StringComparison.Ordinal) && f.Contains("reg2=", StringComparison.Ordinal)).ToList();
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"IPv6, persistence none: {first.Summary()}; max/mean {spread:0.000}; {moved} of 1000 flows changed backend on their second datagram; {megaflows} client→VIP6 megaflows\n" +
            $"dual stack, IPv6 half, persistence connection: {dual6.Summary()}; max/mean {dualSpread:0.000}; {dualMoved} changed; IPv4 half: {dual4.Summary()}; " +
            $"{slotFlows.Count} slot flows; {Live.PacketIns} packet-ins"));
        Assert.Multiple(() =>
        {
            Assert.That(first.Failures + again.Failures + dual6.Failures + dual6Again.Failures + dual4.Failures, Is.Zero,
                $"{first.Summary()} / {again.Summary()} / {dual6.Summary()} / {dual6Again.Summary()} / {dual4.Summary()}");
            Assert.That(first.Tally.Keys, Is.EquivalentTo(four), "one client IPv6 address reaches every backend");
            Assert.That(spread, Is.LessThanOrEqualTo(1.15), first.Summary());
            Assert.That(dualSpread, Is.LessThanOrEqualTo(1.15), dual6.Summary());
            Assert.That(dual4.Tally.Keys, Is.EquivalentTo(four), "the dual-stack service's IPv4 VIP is balanced too");
            Assert.That(moved, Is.Zero, "each flow keeps its backend (persistence none: the same slot)");
            Assert.That(dualMoved, Is.Zero, "each flow keeps its backend (persistence connection: its learned udp6 entry)");
            Assert.That(megaflows, Is.GreaterThanOrEqualTo(900), "multipath un-wildcards both ports: one megaflow per flow");
            Assert.That(slotFlows, Has.Count.EqualTo(3 * 256), "256 slot flows for the IPv6-only service, 256 per family for the dual-stack one");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }
}
