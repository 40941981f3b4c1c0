using System.Globalization;

namespace OvsLb.Controller.Cli;

/// <summary>A command-line mistake; the verb prints it with its name and exits with <see cref="CommandLine.ExitUsage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The options the debugging verbs (<c>flows</c>, <c>diff</c>, <c>which</c>) share: which configuration
/// and bridge, and where port numbers and liveness come from (<c>--ports</c> or <c>--switch</c>).
/// </summary>
/// <param name="Config">The --config file (a load-balancer file or an ovslb file with a LoadBalancer section).</param>
/// <param name="Bridge">The configured bridge's name.</param>
/// <param name="Ports">Port name → OpenFlow port number, from <c>--ports name=no,...</c>.</param>
/// <param name="Down">Backends to treat as failed (<c>service/backend</c>), from <c>--down</c>.</param>
/// <param name="Switch">The switch to read ports and installed state from (<c>--switch</c>), or null.</param>
/// <param name="Flags">Flags given (e.g. <c>--plain</c>).</param>
/// <param name="Positional">Arguments that are not options, in order.</param>
public sealed record BridgeArgs(
    string? Config,
    string? Bridge,
    IReadOnlyDictionary<string, uint> Ports,
    IReadOnlySet<string> Down,
    string? Switch,
    IReadOnlySet<string> Flags,
    IReadOnlyList<string> Positional)
{
    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> are the value-less options the verb accepts.</summary>
    public static BridgeArgs Parse(string verb, string[] args, params string[] flags)
    {
        string? config = null, bridge = null, sw = null;
        var ports = new Dictionary<string, uint>(StringComparer.Ordinal);
        var down = new HashSet<string>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var positional = new List<string>();
        var arg = new ArgCursor(args);
        while (arg.Next())
        {
            string a = arg.Name;
            string? inline = arg.Inline;
            string Value() => arg.Value();
            switch (a)
            {
                case "--config": config = Value(); break;
                case "--bridge": bridge = Value(); break;
                case "--switch": sw = Value(); break;
                case "--ports":
                    foreach (var item in Split(Value()))
                    {
                        int e = item.IndexOf('=', StringComparison.Ordinal);
                        if (e <= 0 || !uint.TryParse(item[(e + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out uint no) || no == 0)
                        {
                            throw new UsageException($"--ports: '{item}' is not NAME=NUMBER (an OpenFlow port number, e.g. uplink=1)");
                        }
                        ports[item[..e]] = no;
                    }
                    break;
                case "--down":
                    foreach (var item in Split(Value()))
                    {
                        if (item.Split('/') is not [{ Length: > 0 }, { Length: > 0 }]) throw new UsageException($"--down: '{item}' is not SERVICE/BACKEND");
                        down.Add(item);
                    }
                    break;
                default:
                    if (flags.Contains(a) && inline is null) given.Add(a);
                    else if (a.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{arg.Raw}' for '{verb}'");
                    else positional.Add(arg.Raw);
                    break;
            }
        }
        return new BridgeArgs(config, bridge, ports, down, sw, given, positional);
    }

    private static IEnumerable<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string RequireConfig() => Config ?? throw new UsageException("--config FILE is required");
    public string RequireBridge() => Bridge ?? throw new UsageException("--bridge NAME is required");
}
