using System.Text.Json;

namespace OvsLb.Pipeline.Config;

/// <summary>
/// A configuration file parsed once, with the position of every token: the load-balancer configuration
/// (<see cref="BindLoadBalancer"/>) and the host's sections (<c>Controller</c>, <c>Status</c>, <c>Logging</c>:
/// <see cref="HostSettings"/>) are both bound from this one tree, so one load of <c>ovslb run</c>, a reload,
/// <c>ovslb validate</c> or a debugging verb reads the file once and parses it once, and the two parts
/// cannot come from two versions of a file being edited.
/// <para>
/// Layout: the <c>LoadBalancer</c> section of an ovslb file, or the whole file when it is a load-balancer
/// file (top-level <c>services</c>, <c>bridges</c>, <c>options</c>, <c>healthCheck</c>). A file with neither
/// has no load-balancer configuration (the controller runs with no services).
/// </para>
/// </summary>
public sealed class ConfigDocument
{
    private static readonly string[] LbKeys = ["services", "bridges", "options", "healthCheck"];

    private readonly JNode? _root;
    private readonly LineMap _map;
    private readonly ConfigError? _syntax;

    private ConfigDocument(JNode? root, LineMap map, ConfigError? syntax)
    {
        _root = root;
        _map = map;
        _syntax = syntax;
        if (root is JObject top)
        {
            Keys = top.Properties.Select(p => p.Name).ToList();
            HasLoadBalancer = top.Properties.Any(p => IsLoadBalancerKey(p.Name));
            (HostSettings, HostErrors) = Flatten(top);
        }
        else
        {
            // Not JSON, or not an object: the load-balancer binder reports it with its position.
            HasLoadBalancer = true;
        }
        HostSectionsText = string.Join("\n", HostSettings.Select(kv => kv.Key + "=" + kv.Value));
    }

    /// <summary>Parses <paramref name="utf8"/> (a UTF-8 byte order mark is skipped; comments and trailing commas are allowed, as in appsettings.json).</summary>
    public static ConfigDocument Parse(byte[] utf8)
    {
        if (utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF) utf8 = utf8[3..];
        var root = JsonTree.Parse(utf8, out var syntax);
        return new ConfigDocument(root, new LineMap(utf8), syntax);
    }

    /// <summary>The bytes parse as JSON.</summary>
    public bool IsJson => _root is not null;

    /// <summary>
    /// A load-balancer configuration is there (a <c>LoadBalancer</c> section or top-level load-balancer keys), or the file
    /// is not a JSON object, so <see cref="BindLoadBalancer"/> must run to report what is wrong with its position.
    /// </summary>
    public bool HasLoadBalancer { get; }

    /// <summary>The top-level keys, in file order.</summary>
    public IReadOnlyList<string> Keys { get; } = [];

    /// <summary>
    /// The host's settings: every top-level section but the load-balancer part, flattened as
    /// Microsoft.Extensions.Configuration's JSON provider does (<c>Controller:Listen:0</c> = <c>127.0.0.1:6653</c>;
    /// keys compared without case; JSON null and an empty object are a null value, an empty array an empty string), for an in-memory source.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string?>> HostSettings { get; } = [];

    /// <summary>Problems with the host sections the JSON provider would refuse (a key given twice), with positions.</summary>
    public IReadOnlyList<ConfigError> HostErrors { get; } = [];

    /// <summary>The host settings as text, to notice that a reload changed them (they take effect only at restart).</summary>
    public string HostSectionsText { get; }

    /// <summary>Binds and validates the load-balancer configuration; every error with its JSON path, line and column.</summary>
    public ConfigResult BindLoadBalancer()
    {
        if (_root is null) return ConfigResult.Fail([_syntax!]);
        var b = new ConfigBinder(_map);
        var config = b.Bind(_root);
        return b.Errors.Count == 0 ? ConfigResult.Ok(config) : ConfigResult.Fail(b.Errors.ToList());
    }

    /// <summary>
    /// Line and column of the value of a host setting (<c>Controller:EchoInterval</c>, keys without case); null when
    /// the file does not set it. Of a key given twice, the first: the one <see cref="HostSettings"/> keeps.
    /// </summary>
    public (int Line, int Column)? Locate(string key)
    {
        var node = _root is JObject top ? Find(top, key.Split(':'), 0) : null;
        return node is null ? null : _map.Locate(node.Offset);
    }

    private static JNode? Find(JNode node, string[] parts, int i)
    {
        if (i == parts.Length) return node;
        if (node is JObject o)
        {
            foreach (var (name, _, value) in o.Properties)
            {
                if (string.Equals(name, parts[i], StringComparison.OrdinalIgnoreCase) && Find(value, parts, i + 1) is { } found) return found;
            }
        }
        else if (node is JArray a && int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k) && k < a.Items.Count)
        {
            return Find(a.Items[k], parts, i + 1);
        }
        return null;
    }

    private static bool IsLoadBalancerKey(string key) =>
        string.Equals(key, ConfigLoader.SectionName, StringComparison.OrdinalIgnoreCase) || LbKeys.Any(k => string.Equals(key, k, StringComparison.OrdinalIgnoreCase));

    private (List<KeyValuePair<string, string?>>, List<ConfigError>) Flatten(JObject top)
    {
        var settings = new List<KeyValuePair<string, string?>>();
        var errors = new List<ConfigError>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Leaf(string key, string? value, int offset)
        {
            if (!seen.Add(key))
            {
                var (line, col) = _map.Locate(offset);
                errors.Add(new ConfigError(key, value ?? "", $"duplicate key '{key}' (keys are compared without case)", line, col));
                return;
            }
            settings.Add(new(key, value));
        }
        void Visit(string key, JNode n)
        {
            switch (n)
            {
                case JObject o when o.Properties.Count == 0:
                    Leaf(key, null, n.Offset);
                    break;
                case JObject o:
                    foreach (var (name, _, value) in o.Properties) Visit(key + ":" + name, value);
                    break;
                case JArray a when a.Items.Count == 0:
                    Leaf(key, "", n.Offset);
                    break;
                case JArray a:
                    for (int i = 0; i < a.Items.Count; i++) Visit(key + ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Items[i]);
                    break;
                case JValue v:
                    // As the JSON provider stores them: booleans "True"/"False", null as null, numbers as written.
                    Leaf(key, v.Type switch { JsonTokenType.True => bool.TrueString, JsonTokenType.False => bool.FalseString, JsonTokenType.Null => null, _ => v.Text }, n.Offset);
                    break;
            }
        }
        foreach (var (name, _, value) in top.Properties.Where(p => !IsLoadBalancerKey(p.Name))) Visit(name, value);
        return (settings, errors);
    }
}
