using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>One mode's lab for the probe tests: the topology, the load-balancer configuration, and the tuples to try.</summary>
/// <param name="Name">The mode.</param>
/// <param name="Spec">The topology (host names start with "pb").</param>
/// <param name="Config">The LoadBalancer section.</param>
/// <param name="Bridge">The balancing bridge.</param>
/// <param name="ClientPort">The port probes enter on (a client's veth).</param>
/// <param name="Tuple">A random tuple for the service: PROTO SRC DST.</param>
/// <param name="Prepare">Before the controller starts (hold VIPs, router settings).</param>
/// <param name="Ready">After it reconciled (wait for learned next hops).</param>
internal sealed partial record ProbeMode(string Name, TopologySpec Spec, string Config, string Bridge, string ClientPort, Func<Random, string[]> Tuple,
    Action<LbTopology>? Prepare = null, Action<LbTopology>? Ready = null)
{
    internal static string Ip(Random r, string prefix) => $"{prefix}.{r.Next(2, 250)}";

    internal static string Port(Random r) => r.Next(1024, 65536).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static string[] TcpOrUdp(Random r, string src, string vip, int tcpPort, int udpPort) =>
        r.Next(2) == 0 ? ["tcp", $"{src}:{Port(r)}", $"{vip}:{tcpPort}"] : ["udp", $"{src}:{Port(r)}", $"{vip}:{udpPort}"];

    /// <summary>Direct mode: a client and three backends on one bridge; TCP and UDP services.</summary>
    public static ProbeMode Direct()
    {
        var spec = new TopologySpec().Bridge("br-lb", 0x1b).Host("pbc", "br-lb", 1, "10.0.0.2/24", mac: "02:00:00:00:00:02");
        for (int i = 1; i <= 3; i++) spec.Host($"pbs{i}", "br-lb", (uint)(10 + i), $"10.0.0.1{i}/24", mac: $"02:00:00:00:00:1{i}");
        const string backends = """
            [ { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 },
              { "name": "s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12 },
              { "name": "s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13 } ]
            """;
        string config = $$"""
            {
              "bridges": [ { "name": "br-lb", "datapathId": "0x1b", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct", "backends": {{backends}} },
                { "name": "dns", "vip": "10.0.0.100", "protocol": "udp", "port": 53, "mode": "direct", "backends": {{backends}} }
              ]
            }
            """;
        return new ProbeMode("direct", spec, config, "br-lb", "pbc", r => TcpOrUdp(r, Ip(r, "10.0." + r.Next(0, 256)), "10.0.0.100", 80, 53));
    }

    /// <summary>Translate mode: the client behind br-lb, backends behind a router on br-be (as TranslateModeTrafficTests).</summary>
    public static ProbeMode Translate()
    {
        var spec = new TopologySpec()
            .Bridge("br-lb", 0xa1).Bridge("br-be", 0xb1)
            .Host("pbc", "br-lb", 1, "10.0.0.2/24", gateway: "10.0.0.1")
            .Host("pbb1", "br-be", 11, "10.1.0.11/24", gateway: "10.1.0.1")
            .Host("pbb2", "br-be", 12, "10.1.0.12/24", gateway: "10.1.0.1")
            .Host("pbb3", "br-be", 13, "10.2.0.13/24", gateway: "10.2.0.1")
            .Router("pbr",
                new RouterLegSpec("br-lb", 100, "10.0.0.1/24", PortName: "r-lb"),
                new RouterLegSpec("br-be", 100, "10.1.0.1/24", PortName: "r-be1"),
                new RouterLegSpec("br-be", 101, "10.2.0.1/24", PortName: "r-be2"));
        const string config = """
            {
              "options": { "nextHopTimeout": "60s" },
              "bridges": [
                { "name": "br-lb", "datapathId": "0xa1", "lbMac": "02:00:00:00:00:fe", "uplink": "r-lb", "gateways": [ "10.0.0.1" ] },
                { "name": "br-be", "datapathId": "0xb1", "lbMac": "02:00:00:00:00:fd" }
              ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 8080, "mode": "translate", "bridges": [ "br-lb" ],
                  "backends": [
                    { "name": "b1", "ip": "10.1.0.11", "bridge": "br-be" },
                    { "name": "b2", "ip": "10.1.0.12", "bridge": "br-be" },
                    { "name": "b3", "ip": "10.2.0.13", "bridge": "br-be" } ] }
              ]
            }
            """;
        return new ProbeMode("translate", spec, config, "br-lb", "pbc", r => ["tcp", $"{Ip(r, "10.0.0")}:{Port(r)}", "10.0.0.100:8080"],
            Prepare: topo => topo.Router("pbr").Exec("sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1"),
            Ready: topo => Assert.That(ProcessRunner.WaitUntil(() => topo.Ovs.DumpFlows("br-lb").Any(f => f.Contains("table=50", StringComparison.Ordinal) && f.Contains("reg0=0xa000001", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(15)), Is.True, "br-lb learned the router's MAC (table 50)"));
    }

    /// <summary>Port-group mode: three servers share the VIP on br-pg; probes enter from the gateway's port (the uplink).</summary>
    public static ProbeMode PortGroup()
    {
        var spec = new TopologySpec().Bridge("br-pg", 0x9001).Host("pbgw", "br-pg", 1, "192.0.2.1/24", mac: "02:00:00:00:00:01");
        for (int i = 1; i <= 3; i++) spec.Host($"pbs{i}", "br-pg", (uint)(i + 1), "192.0.2.50/24", mac: $"02:00:00:00:02:0{i}", gateway: "192.0.2.1");
        const string config = """
            {
              "bridges": [ { "name": "br-pg", "datapathId": "0x9001", "lbMac": "02:00:00:00:01:fe", "uplink": 1, "gateways": [ "192.0.2.1" ] } ],
              "services": [
                { "name": "cluster", "vip": "192.0.2.50", "protocol": "tcp", "port": 80, "mode": "portgroup",
                  "backends": [
                    { "name": "s1", "mac": "02:00:00:00:02:01", "port": "pbs1" },
                    { "name": "s2", "mac": "02:00:00:00:02:02", "port": "pbs2" },
                    { "name": "s3", "mac": "02:00:00:00:02:03", "port": "pbs3" } ] }
              ]
            }
            """;
        return new ProbeMode("portgroup", spec, config, "br-pg", "pbgw", r => ["tcp", $"{Ip(r, "198.51." + r.Next(0, 256))}:{Port(r)}", "192.0.2.50:80"]);
    }
}
