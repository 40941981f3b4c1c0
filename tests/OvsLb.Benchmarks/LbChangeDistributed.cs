using System.Globalization;
using System.Text;
using OvsLb.Balancer;
using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

/// <summary>
/// The one-change cost with backends spread over several bridges (<see cref="LbChangeBenchmark"/>'s
/// multi-bridge variant): 4 distributed-mode bridges, each a <see cref="FakeSwitch"/> with 256 host ports
/// connected to a real <see cref="SwitchServer"/> whose switch events go to the
/// <see cref="LoadBalancer"/> (its desired state is left empty: the rounds compute and time it
/// themselves). V direct-mode services carried by every bridge, backend j of service v on bridge j mod 4
/// behind host port 2 + ⌊(8v+j)/4⌋ mod 256, so each host port serves about 8 services. What a bridge's plan
/// must look at is every other bridge's ports: a host port going down on one bridge (PORT_STATUS)
/// changes the groups of that host's services on all bridges.
/// The services are stateless (<c>persistence: none</c>), so a backend change is exactly one GROUP_MOD per
/// service, as in the figures README reports (with persistence each also adds or deletes one pick flow).
/// </summary>
public static class LbChangeDistributed
{
    public const int Bridges = 4;
    public const int HostPorts = 256;

    public static ulong DatapathId(int bridge) => 0xd15_0000UL + (ulong)bridge;

    public static (int Bridge, uint Port) Host(int vip, int backend, int backendsPerVip) =>
        (backend % Bridges, 2 + (uint)((vip * backendsPerVip + backend) / Bridges % HostPorts));

    public static string Json(int vips, int backendsPerVip)
    {
        var sb = new StringBuilder("{ \"bridges\": [\n");
        sb.AppendJoin(",\n", Enumerable.Range(0, Bridges).Select(k => string.Create(CultureInfo.InvariantCulture,
            $$"""    { "name": "br-d{{k}}", "datapathId": {{DatapathId(k)}}, "lbMac": "02:00:00:00:d0:{{k:x2}}", "uplink": 1, "role": "distributed" }""")));
        sb.Append("\n  ],\n  \"services\": [\n");
        sb.AppendJoin(",\n", Enumerable.Range(0, vips).Select(v =>
        {
            var backends = Enumerable.Range(0, backendsPerVip).Select(j =>
            {
                var (k, port) = Host(v, j, backendsPerVip);
                return string.Create(CultureInfo.InvariantCulture,
                    $$"""{ "name": "b{{j}}", "ip": "10.{{128 + k}}.{{port >> 8}}.{{port & 0xff}}", "mac": "02:00:0a:{{k:x2}}:{{port >> 8:x2}}:{{port & 0xff:x2}}", "bridge": "br-d{{k}}", "port": {{port}} }""");
            });
            return string.Create(CultureInfo.InvariantCulture,
                $$"""    { "name": "svc{{v}}", "vip": "10.100.{{(v + 1) >> 8}}.{{(v + 1) & 0xff}}", "protocol": "tcp", "port": 80, "mode": "direct", "persistence": "none", "backends": [{{string.Join(", ", backends)}}] }""");
        }));
        sb.Append("\n  ] }\n");
        return sb.ToString();
    }

    public static async Task<LbChangeResult> RunAsync(int vips, int backendsPerVip, int rounds, TextWriter log)
    {
        var parsed = ConfigLoader.Parse(Json(vips, backendsPerVip));
        if (!parsed.IsValid) throw new InvalidOperationException("generated configuration is invalid: " + string.Join("; ", parsed.Errors.Take(5)));
        var config = parsed.Config!;
        await using var lb = new LoadBalancer(config);
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"] }, new StaticDesiredState(SwitchState.Empty), lb, switches: lb.Switches);
        await controller.StartAsync();
        var fakes = new List<FakeSwitch>();
        try
        {
            for (int k = 0; k < Bridges; k++)
            {
                fakes.Add(await FakeSwitch.ConnectAsync(controller.LocalEndpoints[0],
                    new FakeSwitchOptions { DatapathId = DatapathId(k), BridgeName = $"br-d{k}", Ports = 1 + HostPorts }));
            }
            if (!ProcessRunner.WaitUntil(() => controller.Sessions.Count == Bridges, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10)))
            {
                throw new TimeoutException($"{controller.Sessions.Count} of {Bridges} fake bridges became ready");
            }
            var self = controller.Sessions[DatapathId(0)];
            var r = new ChangeRounds(lb, () => self.Info, rounds, log, FreshView);

            // A host port on bridge 1 goes down, then up: PORT_STATUS from the fake, seen by its session.
            (int Bridge, uint Port) HostOf(int round) => (1, 2 + (uint)(round * 37 % HostPorts));
            (int, int) Behind(int round) => (config.Services.Count(s => s.Backends.Any(b => b.Bridge == "br-d1" && b.Port!.Value.Number == HostOf(round).Port)), 0);
            var cases = new List<ChangeTiming>
            {
                r.Case("re-plan, nothing changed", 0, 0, _ => { }),
                r.Case("a host port down on another bridge (PORT_STATUS; one group per service behind it)", Behind, i => SetPort(fakes, controller, HostOf(i), up: false)),
                r.Case("the same port up again", Behind, i => SetPort(fakes, controller, HostOf(i), up: true)),
            };
            return new LbChangeResult($"One change in {vips} VIPs x {backendsPerVip} backends (direct mode) over {Bridges} bridges x {HostPorts} host ports, the plan of one bridge", cases, r.Problems);
        }
        finally
        {
            foreach (var f in fakes) await f.DisposeAsync();
        }

        // Independently of the LoadBalancer: a backend is down when its port on its own (other) bridge is.
        BridgeView FreshView(IReadOnlyDictionary<string, IReadOnlyList<string?>> slots)
        {
            var self = controller.Sessions[DatapathId(0)].Info;
            var down = config.Services.SelectMany(s => s.Backends.Where(b => b.Bridge != "br-d0" && !PortUp(controller, b)).Select(b => PipelineBuilder.BackendId(s, b)));
            return new BridgeView(self.DatapathId, self.BridgeName, self.Ports, down.ToHashSet(StringComparer.Ordinal), slots);
        }
    }

    private static bool PortUp(SwitchServer controller, BackendConfig b)
    {
        int k = int.Parse(b.Bridge!["br-d".Length..], CultureInfo.InvariantCulture);
        return controller.Sessions[DatapathId(k)].Ports.TryGetValue(b.Port!.Value.Number!.Value, out var d) && d.IsUp;
    }

    /// <summary>The fake reports the port's link state; returns once the controller's session holds it.</summary>
    private static void SetPort(List<FakeSwitch> fakes, SwitchServer controller, (int Bridge, uint Port) host, bool up)
    {
        var fake = fakes[host.Bridge];
        var desc = fake.Ports.First(p => p.PortNo == host.Port) with { State = up ? PortState.Live : PortState.LinkDown };
        fake.Send(new PortStatus(PortStatusReason.Modify, desc));
        var session = controller.Sessions[fake.DatapathId];
        if (!ProcessRunner.WaitUntil(() => session.Ports[host.Port].IsUp == up, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1)))
        {
            throw new TimeoutException($"PORT_STATUS for port {host.Port} of bridge {host.Bridge} did not reach the controller");
        }
    }
}
