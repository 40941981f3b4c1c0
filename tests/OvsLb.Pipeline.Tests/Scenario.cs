using System.Globalization;
using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// A golden scenario under <c>flows/&lt;name&gt;/</c>: <c>config.json</c> (a load-balancer configuration),
/// <c>ports.txt</c> (the ports each bridge has: <c>bridge ofport name</c>) and, per bridge, the expected
/// <c>&lt;bridge&gt;.flows.txt</c> and <c>&lt;bridge&gt;.groups.txt</c> in ovs-ofctl text.
/// </summary>
public sealed class Scenario
{
    public static readonly string[] Names = ["direct", "translate", "portgroup", "distributed", "nat", "fullnat", "udp", "ipv6", "dualstack"];

    public string Name { get; }
    public string Dir { get; }
    public LoadBalancerConfig Config { get; }
    public IReadOnlyDictionary<string, List<(uint No, string Name)>> Ports { get; }

    private Scenario(string name, string dir, LoadBalancerConfig config, Dictionary<string, List<(uint, string)>> ports)
    {
        Name = name;
        Dir = dir;
        Config = config;
        Ports = ports;
    }

    /// <summary>The scenario as copied next to the test binaries.</summary>
    public static Scenario Load(string name) => LoadFrom(name, Path.Combine(TestContext.CurrentContext.TestDirectory, "flows", name));

    /// <summary>The scenario's folder in the source tree (where regenerated golden files are written).</summary>
    public static string SourceDir(string name)
    {
        var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "OvsLbController.sln"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new DirectoryNotFoundException("OvsLbController.sln not found above the test directory"), "flows", name);
    }

    public static Scenario LoadFrom(string name, string dir)
    {
        var r = ConfigLoader.LoadFile(Path.Combine(dir, "config.json"));
        if (!r.IsValid) throw new InvalidDataException($"{name}/config.json: " + string.Join("; ", r.Errors));
        var ports = new Dictionary<string, List<(uint, string)>>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(dir, "ports.txt")))
        {
            var t = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0 || t[0].StartsWith('#')) continue;
            if (!ports.TryGetValue(t[0], out var list)) ports[t[0]] = list = [];
            list.Add((uint.Parse(t[1], CultureInfo.InvariantCulture), t[2]));
        }
        return new Scenario(name, dir, r.Config!, ports);
    }

    /// <summary>The datapath id the golden dumps assume: the configured one, else 0x0b + bridge index.</summary>
    public ulong DatapathId(BridgeConfig b) => b.DatapathId ?? 0xb0UL + (ulong)Config.Bridges.ToList().IndexOf(b);

    /// <summary>The bridge's view with every port up (bridge name = LOCAL port name, as OVS reports it).</summary>
    public BridgeView View(BridgeConfig b, Func<uint, bool>? up = null, IReadOnlySet<string>? down = null)
    {
        var ports = new Dictionary<uint, PortDescription>
        {
            [0xfffffffe] = new PortDescription { PortNo = 0xfffffffe, Name = b.Name },
        };
        foreach (var (no, name) in Ports.GetValueOrDefault(b.Name) ?? [])
        {
            bool isUp = up?.Invoke(no) ?? true;
            ports[no] = new PortDescription { PortNo = no, Name = name, State = isUp ? PortState.Live : PortState.LinkDown };
        }
        return new BridgeView(DatapathId(b), b.Name, ports, down ?? new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>());
    }

    public BridgePlan Build(BridgeConfig b) => PipelineBuilder.Build(Config, View(b));

    /// <summary>Desired flows as golden text: <c>--no-stats dump-flows</c> lines in pipeline order.</summary>
    public static IReadOnlyList<string> FlowLines(SwitchState s) => FlowText.ByTable(s.FlowLines());

    public static IReadOnlyList<string> GroupLines(SwitchState s) => s.GroupLines();

    public string FlowsFile(BridgeConfig b, string? dir = null) => Path.Combine(dir ?? Dir, b.Name + ".flows.txt");
    public string GroupsFile(BridgeConfig b, string? dir = null) => Path.Combine(dir ?? Dir, b.Name + ".groups.txt");
}
