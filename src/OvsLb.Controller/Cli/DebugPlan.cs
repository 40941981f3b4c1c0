using OvsLb.Controller.Hosting;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>A problem the debugging verbs report as an error (exit code 1): bad configuration, unknown
/// bridge, a port without a number, an unreachable switch.</summary>
public sealed class DebugException(string message) : Exception(message);

/// <summary>
/// The desired state of one bridge as <c>ovslb run</c> would compute it: the same configuration loader,
/// the same controller settings (cookie signature and owned group ids from the file's <c>Controller</c>
/// section), the same plan inputs (<see cref="PlanInputs.Assemble"/>) and planner (<see cref="BridgePlanner"/>). Ports and their liveness come from the switch
/// (<c>--switch</c>, which also lends the installed groups' bucket assignment, as a restarted controller
/// takes it) or from <c>--ports</c> (every listed or numbered port up; backends given with <c>--down</c>
/// fail from the all-up bucket table, as they would on a running controller).
/// </summary>
/// <param name="ConfigPath">The configuration file.</param>
/// <param name="Config">The load-balancer configuration.</param>
/// <param name="Bridge">The configured bridge.</param>
/// <param name="View">What the builder was told about the bridge.</param>
/// <param name="Settings">Cookie and group-id settings.</param>
/// <param name="Ownership">Which installed flows and groups the controller manages.</param>
/// <param name="Plan">The builder's result.</param>
/// <param name="Switch">What was read from the switch, when <c>--switch</c> was given.</param>
public sealed record DebugPlan(
    string ConfigPath,
    LoadBalancerConfig Config,
    BridgeConfig Bridge,
    BridgeView View,
    BuildSettings Settings,
    Ownership Ownership,
    BridgePlan Plan,
    SwitchSnapshot? Switch)
{
    public static async Task<DebugPlan> BuildAsync(BridgeArgs args, bool readInstalled, CancellationToken ct = default)
    {
        string path = args.RequireConfig();
        if (args.Switch is not null && args.Ports.Count > 0) throw new UsageException("--ports is not used with --switch: the switch's own port numbers are");
        var file = LoadFile(path); // one read, one parse: the load-balancer configuration and the Controller section
        var config = file.LoadBalancer;
        var options = LoadControllerOptions(file);
        var settings = BuildSettings.For(options.Ownership);
        foreach (var d in args.Down)
        {
            if (!config.Services.Any(s => s.Backends.Any(b => PipelineBuilder.BackendId(s, b) == d)))
            {
                throw new DebugException($"--down {d}: no such backend (expected SERVICE/BACKEND, one of: {string.Join(", ", config.Services.SelectMany(s => s.Backends.Select(b => PipelineBuilder.BackendId(s, b))))})");
            }
        }
        SwitchSnapshot? sw = null;
        BridgeConfig bridge;
        PlanInputs inputs;
        if (args.Switch is string target)
        {
            sw = await SwitchSnapshot.ReadAsync(target, readInstalled, options, ct).ConfigureAwait(false);
            string? name = sw.Ports.TryGetValue(OfctlFormat.Ports.Local, out var local) ? local.Name : null;
            var found = PipelineBuilder.FindBridge(config, sw.DatapathId, name);
            if (found is null) throw new DebugException($"the switch at {target} (datapath {sw.DatapathId:x16}, bridge '{name}') is not a bridge of {path}: the controller gives it no load-balancing flows");
            if (args.Bridge is string wanted && wanted != found.Name) throw new DebugException($"the switch at {target} (datapath {sw.DatapathId:x16}, bridge '{name}') is bridge '{found.Name}' of {path}, not '{wanted}'");
            bridge = found;
            // No slot memory: the installed groups lend their bucket assignment, as they do to a restarted controller.
            inputs = PlanInputs.Assemble(config, settings, new SwitchInfo(sw.DatapathId, name, sw.Ports), sw.Installed, healthDown: args.Down);
        }
        else
        {
            string want = args.RequireBridge();
            bridge = config.Bridges.FirstOrDefault(b => b.Name == want)
                ?? throw new DebugException($"bridge '{want}' is not in {path} (bridges: {string.Join(", ", config.Bridges.Select(b => b.Name))})");
            var info = new SwitchInfo(bridge.DatapathId ?? 0, bridge.Name, OfflinePorts(config, bridge, args.Ports));
            inputs = PlanInputs.Assemble(config, settings, info, installed: null, healthDown: args.Down);
            if (args.Down.Count > 0)
            {
                // A failure happens to a running controller, which had every backend's buckets before:
                // its slot memory is the all-up plan's, so the other backends keep their buckets as they would.
                var before = RunPlanner(inputs with { HealthDown = new HashSet<string>() }, bridge);
                inputs = inputs with { Slots = before.Slots };
            }
        }
        var output = RunPlanner(inputs, bridge);
        var plan = output.Plan;
        var view = output.View;
        return new DebugPlan(path, config, bridge, view, settings, options.Ownership, plan, sw);
    }

    /// <summary>The planner on <paramref name="inputs"/>; a configuration the builder refuses is a <see cref="DebugException"/>.</summary>
    private static PlanOutput RunPlanner(PlanInputs inputs, BridgeConfig bridge)
    {
        try
        {
            return BridgePlanner.Plan(inputs);
        }
        catch (ArgumentException e)
        {
            throw new DebugException($"the pipeline cannot be built for bridge '{bridge.Name}': {e.Message}");
        }
    }

    /// <summary>
    /// Reads and parses the file once (<see cref="LoadBalancerFile.Read"/>) and validates its load-balancer configuration;
    /// every error as FILE:LINE:COL: path: message.
    /// </summary>
    public static LoadedConfigFile LoadFile(string path)
    {
        if (!File.Exists(path)) throw new DebugException($"configuration file '{path}' does not exist");
        try
        {
            return LoadBalancerFile.Read(path);
        }
        catch (InvalidDataException e)
        {
            throw new DebugException(e.Message);
        }
    }

    /// <summary>The load-balancer configuration of <paramref name="path"/> (<see cref="LoadFile"/>).</summary>
    public static LoadBalancerConfig LoadConfig(string path) => LoadFile(path).LoadBalancer;

    /// <summary>The file's <c>Controller</c> section (cookie signature, owned group ids, timeouts), defaults when absent.</summary>
    public static ControllerOptions LoadControllerOptions(LoadedConfigFile file)
    {
        try
        {
            return file.ControllerOptions();
        }
        catch (InvalidDataException e)
        {
            throw new DebugException(e.Message);
        }
    }

    /// <summary>
    /// The ports the builder needs on <paramref name="bridge"/> without a switch: every numbered port it
    /// refers to, and every named one from <c>--ports</c>; all up. A named port missing from
    /// <c>--ports</c> is an error naming it (ovs-ofctl syntax needs port numbers).
    /// </summary>
    public static IReadOnlyDictionary<uint, PortDescription> OfflinePorts(LoadBalancerConfig config, BridgeConfig bridge, IReadOnlyDictionary<string, uint> given)
    {
        var ports = new Dictionary<uint, PortDescription>
        {
            [OfctlFormat.Ports.Local] = new() { PortNo = OfctlFormat.Ports.Local, Name = bridge.Name, State = PortState.Live },
        };
        foreach (var (name, no) in given) ports[no] = new PortDescription { PortNo = no, Name = name, State = PortState.Live };
        if (bridge.Uplink?.Number is uint up) ports.TryAdd(up, new PortDescription { PortNo = up, Name = "uplink", State = PortState.Live });
        var missing = new List<string>();
        foreach (var s in PipelineBuilder.ServicesOn(config, bridge))
        {
            foreach (var b in s.Backends.Where(b => b.Port is not null && PipelineBuilder.IsLocal(config, b, bridge)))
            {
                var p = b.Port!.Value;
                if (p.Number is uint n) ports.TryAdd(n, new PortDescription { PortNo = n, Name = n.ToString(System.Globalization.CultureInfo.InvariantCulture), State = PortState.Live });
                else if (!given.ContainsKey(p.Name!)) missing.Add($"'{p.Name}' (service '{s.Name}' backend '{b.Name}')");
            }
        }
        if (missing.Count > 0)
        {
            var names = missing.Select(m => m[1..m.IndexOf('\'', 1)]).Distinct().ToList();
            throw new DebugException($"bridge '{bridge.Name}': port {string.Join(", ", missing.Distinct())} has no number: OpenFlow flows name ports by number. " +
                $"Give them with --ports {string.Join(",", names.Select(n => n + "=N"))} or read them from the switch with --switch unix:/var/run/openvswitch/{bridge.Name}.mgmt");
        }
        return ports;
    }
}
