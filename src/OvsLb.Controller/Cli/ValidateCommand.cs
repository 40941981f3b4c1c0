using OvsLb.Controller.Hosting;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb validate FILE...</c>: checks load-balancer configuration files the way <c>ovslb run</c> loads
/// them and prints every error as <c>FILE:LINE:COL: path: message</c> (exit code 1), or a one-line
/// summary per file (exit code 0). Also prints, as warnings, what the pipeline builder would warn about
/// on each configured bridge that is knowable without a switch (e.g. translate-mode services on a bridge
/// without a gateway), and services no bridge carries.
/// </summary>
public static class ValidateCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args.Any(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            stderr.WriteLine("ovslb validate: expected one or more configuration files (ovslb validate FILE...)");
            return CommandLine.ExitUsage;
        }
        int rc = CommandLine.ExitOk;
        foreach (var file in args)
        {
            if (!Validate(file, stdout)) rc = CommandLine.ExitError;
        }
        return rc;
    }

    /// <summary>Validates one file, printing its errors or its summary and warnings; true when valid.</summary>
    public static bool Validate(string file, TextWriter stdout)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stdout.WriteLine($"{file}: cannot read: {e.Message}");
            return false;
        }
        return Validate(file, bytes, stdout);
    }

    /// <summary>Validates <paramref name="bytes"/>, the contents of <paramref name="file"/> already read (what <c>config put</c> then stores).</summary>
    public static bool Validate(string file, byte[] bytes, TextWriter stdout)
    {
        var doc = ConfigDocument.Parse(bytes); // the one parse: load-balancer configuration and Controller section alike
        var errors = new List<string>();
        LoadBalancerConfig config = LoadBalancerConfig.Empty;
        bool hostOnly = IsHostOnly(doc);
        if (!hostOnly)
        {
            var r = doc.BindLoadBalancer();
            if (r.IsValid) config = r.Config!;
            else errors.AddRange(Sorted(r.Errors).Select(e => ConfigErrorFormatter.Format(e, file)));
        }
        errors.AddRange(Sorted(doc.HostErrors).Select(e => ConfigErrorFormatter.Format(e, file)));
        var options = new ControllerOptions();
        if (doc.IsJson)
        {
            // The Controller section, as ovslb run checks it at start, each problem at the setting's position.
            var loaded = new LoadedConfigFile(file, config, doc);
            try
            {
                options = loaded.ControllerOptions();
                errors.AddRange(loaded.Locate(options.Validate()));
            }
            catch (InvalidDataException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0)
        {
            foreach (var e in errors) stdout.WriteLine(e);
            stdout.WriteLine($"{file}: {errors.Count} error{(errors.Count == 1 ? "" : "s")}");
            return false;
        }
        if (hostOnly)
        {
            stdout.WriteLine($"{file}: valid: no load-balancer configuration (no LoadBalancer section, no services or bridges): ovslb run starts with no services");
            return true;
        }
        List<string> warnings;
        try
        {
            warnings = Warnings(config, BuildSettings.For(options.Ownership)).ToList();
        }
        catch (ArgumentException e)
        {
            stdout.WriteLine($"{file}: error: the pipeline cannot be built: {e.Message}");
            return false;
        }
        foreach (var w in warnings) stdout.WriteLine($"{file}: warning: {w}");
        stdout.WriteLine($"{file}: valid: {Summary(config)}{(warnings.Count > 0 ? $"; {warnings.Count} warning{(warnings.Count == 1 ? "" : "s")}" : "")}");
        return true;
    }

    /// <summary>E.g. <c>2 services (translate 2), 1 bridge (standalone 1), 256 buckets per group</c>.</summary>
    public static string Summary(LoadBalancerConfig c)
    {
        static string Counts<T>(IEnumerable<T> items) where T : struct, Enum =>
            string.Join(", ", items.GroupBy(x => x).OrderBy(g => g.Key).Select(g => $"{g.Key.ToString().ToLowerInvariant()} {g.Count()}"));
        string services = $"{c.Services.Length} service{(c.Services.Length == 1 ? "" : "s")}" + (c.Services.Length > 0 ? $" ({Counts(c.Services.Select(s => s.Mode))})" : "");
        string bridges = $"{c.Bridges.Length} bridge{(c.Bridges.Length == 1 ? "" : "s")}" + (c.Bridges.Length > 0 ? $" ({Counts(c.Bridges.Select(b => b.Role))})" : "");
        int backends = c.Services.Sum(s => s.Backends.Length);
        return $"{services}, {backends} backend{(backends == 1 ? "" : "s")}, {bridges}, {c.Options.Buckets} buckets per group";
    }

    /// <summary>
    /// What the pipeline builder warns about on each bridge, given every port the configuration names
    /// (a switch would tell which exist), plus services no bridge carries and bridges that carry none.
    /// </summary>
    public static IEnumerable<string> Warnings(LoadBalancerConfig config, BuildSettings? settings = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var bridge in config.Bridges.ToList())
        {
            var view = new BridgeView(bridge.DatapathId ?? 0, bridge.Name, AssumedPorts(config, bridge), new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>());
            var plan = PipelineBuilder.Build(config, view, settings);
            foreach (var w in plan.Warnings) if (seen.Add(w)) yield return w;
            bool hostsBackends = config.Services.Any(s => s.Backends.Any(x => x.Bridge == bridge.Name));
            if (!PipelineBuilder.ServicesOn(config, bridge).Any() && !hostsBackends && !config.Services.IsEmpty)
            {
                yield return $"bridge '{bridge.Name}' carries no service and hosts no backend (each service lists other bridges, or is a port group whose servers are elsewhere)";
            }
        }
        foreach (var s in config.Services.ToList())
        {
            if (!config.Bridges.Any(b => PipelineBuilder.ServicesOn(config, b).Contains(s)))
            {
                yield return s.Mode == ServiceMode.PortGroup
                    ? $"port-group service '{s.Name}' is on no bridge: all its servers must be on one bridge (set 'bridge' on every backend, or have a single bridge)"
                    : $"service '{s.Name}' is on no bridge: none of its 'bridges' is configured";
            }
        }
    }

    /// <summary>Every port the configuration names on <paramref name="bridge"/>, up: numbered ones as they are, named ones on spare numbers.</summary>
    private static Dictionary<uint, PortDescription> AssumedPorts(LoadBalancerConfig config, BridgeConfig bridge)
    {
        var refs = config.Services.SelectMany(s => s.Backends).Where(b => PipelineBuilder.IsLocal(config, b, bridge)).Select(b => b.Port)
            .Append(bridge.Uplink).OfType<PortRef>().ToList();
        var ports = new Dictionary<uint, PortDescription>
        {
            [OfctlFormat.Ports.Local] = new() { PortNo = OfctlFormat.Ports.Local, Name = bridge.Name, State = PortState.Live },
        };
        foreach (var p in refs.Where(p => p.Number is not null)) ports.TryAdd(p.Number!.Value, new PortDescription { PortNo = p.Number!.Value, Name = $"port{p.Number}", State = PortState.Live });
        uint spare = 0xff00;
        foreach (var name in refs.Where(p => p.Name is not null).Select(p => p.Name!).Distinct(StringComparer.Ordinal))
        {
            while (ports.ContainsKey(spare)) spare--;
            ports[spare] = new PortDescription { PortNo = spare, Name = name, State = PortState.Live };
        }
        return ports;
    }

    private static IEnumerable<ConfigError> Sorted(IEnumerable<ConfigError> errors) => errors.OrderBy(e => e.Line ?? int.MaxValue).ThenBy(e => e.Column ?? 0);

    /// <summary>
    /// True for an ovslb file with only host sections (<c>Controller</c>, <c>Logging</c>, ...: PascalCase
    /// keys) and no load-balancer configuration; any other key goes to the loader, which names it if unknown.
    /// </summary>
    private static bool IsHostOnly(ConfigDocument doc) =>
        !doc.HasLoadBalancer && doc.Keys.Count > 0 && doc.Keys.All(n => n.Length > 0 && char.IsUpper(n[0]));
}
