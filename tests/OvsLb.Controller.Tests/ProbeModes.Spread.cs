using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

internal sealed partial record ProbeMode
{
    /// <summary>Distributed mode: two bridges joined by a veth, each with a client and two backends; probes enter at br-host1's client.</summary>
    public static ProbeMode Distributed()
    {
        var spec = new TopologySpec()
            .Bridge("br-host1", 1).Bridge("br-host2", 2)
            .Link(new BridgeLinkSpec("br-host1", 1, "br-host2", 1, BridgeLinkKind.Veth, "pblink1", "pblink2"))
            .Host("pbc1", "br-host1", 2, "10.0.0.2/24", mac: "02:00:00:00:00:02")
            .Host("pbh1a", "br-host1", 11, "10.0.0.11/24", mac: "02:00:00:00:00:11")
            .Host("pbh1b", "br-host1", 12, "10.0.0.12/24", mac: "02:00:00:00:00:12")
            .Host("pbh2a", "br-host2", 11, "10.0.0.21/24", mac: "02:00:00:00:00:21")
            .Host("pbh2b", "br-host2", 12, "10.0.0.22/24", mac: "02:00:00:00:00:22");
        const string config = """
            {
              "bridges": [
                { "name": "br-host1", "datapathId": 1, "lbMac": "02:00:00:00:10:01", "uplink": 1, "role": "distributed" },
                { "name": "br-host2", "datapathId": 2, "lbMac": "02:00:00:00:10:02", "uplink": 1, "role": "distributed" }
              ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct", "bridges": [ "br-host1", "br-host2" ],
                  "backends": [
                    { "name": "h1a", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "bridge": "br-host1", "port": 11 },
                    { "name": "h1b", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "bridge": "br-host1", "port": 12 },
                    { "name": "h2a", "ip": "10.0.0.21", "mac": "02:00:00:00:00:21", "bridge": "br-host2", "port": 11 },
                    { "name": "h2b", "ip": "10.0.0.22", "mac": "02:00:00:00:00:22", "bridge": "br-host2", "port": 12 } ] }
              ]
            }
            """;
        return new ProbeMode("distributed", spec, config, "br-host1", "pbc1", r => ["tcp", $"{Ip(r, "10.0." + r.Next(0, 256))}:{Port(r)}", "10.0.0.100:80"]);
    }

    /// <summary>NAT mode: a client and three backends on one bridge, TCP 80 → 8080 and UDP 53 → 5353 (ct DNAT).</summary>
    public static ProbeMode Nat()
    {
        var spec = new TopologySpec().Bridge("br-nat", 0x61).Host("pbc", "br-nat", 1, "10.61.0.2/24");
        for (int i = 1; i <= 3; i++) spec.Host($"pbb{i}", "br-nat", (uint)(10 + i), $"10.61.0.1{i}/24");
        string Backends(int port) => "[ " + string.Join(", ", Enumerable.Range(1, 3).Select(i => $$"""{ "name": "b{{i}}", "ip": "10.61.0.1{{i}}", "targetPort": {{port}} }""")) + " ]";
        string config = $$"""
            {
              "bridges": [ { "name": "br-nat", "datapathId": "0x61", "lbMac": "02:00:00:00:61:fe" } ],
              "services": [
                { "name": "web", "vip": "10.61.0.100", "protocol": "tcp", "port": 80, "mode": "nat", "backends": {{Backends(8080)}} },
                { "name": "dns", "vip": "10.61.0.100", "protocol": "udp", "port": 53, "mode": "nat", "backends": {{Backends(5353)}} }
              ]
            }
            """;
        return new ProbeMode("nat", spec, config, "br-nat", "pbc", r => TcpOrUdp(r, Ip(r, "10.61.0"), "10.61.0.100", 80, 53),
            Ready: topo => WaitForNextHops(topo, "br-nat", 3));
    }

    /// <summary>Full NAT: the client on ntt-fl, backends behind a router on ntt-fb; DNAT to IP:8080 and SNAT to the snatIp.</summary>
    public static ProbeMode FullNat()
    {
        var spec = new TopologySpec()
            .Bridge("br-fl", 0x63).Bridge("br-fb", 0x64)
            .Host("pbc", "br-fl", 1, "10.63.0.2/24")
            .Host("pbb1", "br-fb", 11, "10.65.0.11/24", gateway: "10.65.0.1")
            .Host("pbb2", "br-fb", 12, "10.65.0.12/24", gateway: "10.65.0.1")
            .Host("pbb3", "br-fb", 13, "10.65.0.13/24", gateway: "10.65.0.1")
            .Router("pbr", new RouterLegSpec("br-fl", 100, "10.64.0.1/24", PortName: "r-fl"), new RouterLegSpec("br-fb", 100, "10.65.0.1/24", PortName: "r-fb"));
        const string config = """
            {
              "bridges": [
                { "name": "br-fl", "datapathId": "0x63", "lbMac": "02:00:00:00:63:fe", "snatIp": "10.64.0.100", "gateways": [ "10.64.0.1" ] },
                { "name": "br-fb", "datapathId": "0x64", "lbMac": "02:00:00:00:64:fe" }
              ],
              "services": [
                { "name": "web", "vip": "10.63.0.100", "protocol": "tcp", "port": 80, "mode": "fullnat", "bridges": [ "br-fl" ],
                  "backends": [
                    { "name": "b1", "ip": "10.65.0.11", "targetPort": 8080 },
                    { "name": "b2", "ip": "10.65.0.12", "targetPort": 8080 },
                    { "name": "b3", "ip": "10.65.0.13", "targetPort": 8080 } ] }
              ]
            }
            """;
        return new ProbeMode("fullnat", spec, config, "br-fl", "pbc", r => ["tcp", $"{Ip(r, "10.63.0")}:{Port(r)}", "10.63.0.100:80"],
            Ready: topo => WaitForNextHops(topo, "br-fl", 1));
    }

    /// <summary>Waits until <paramref name="bridge"/> learned <paramref name="count"/> next hops (table 50) from the controller's ARP probes.</summary>
    private static void WaitForNextHops(LbTopology topo, string bridge, int count) =>
        Assert.That(ProcessRunner.WaitUntil(() => topo.Ovs.DumpFlows(bridge).Count(f => f.Contains("table=50", StringComparison.Ordinal) && f.Contains("reg0=", StringComparison.Ordinal)) >= count,
            TimeSpan.FromSeconds(15)), Is.True, $"{bridge} learned {count} next hop(s) in table 50:\n{string.Join("\n", topo.Ovs.DumpFlows(bridge))}");
}
