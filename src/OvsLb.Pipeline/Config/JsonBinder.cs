using System.Globalization;
using System.Text.Json;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>An object being bound: its known keys (matched case-insensitively, as the .NET configuration
/// system does), its path, and the properties found.</summary>
internal sealed class Obj(JObject node, string path, Dictionary<string, JNode> found)
{
    public JObject Node { get; } = node;
    public string Path { get; } = path;
    public JNode? this[string key] => found.GetValueOrDefault(key);
    public bool Has(string key) => found.ContainsKey(key);
    public string At(string key) => JsonBinder.Join(Path, key);
}

/// <summary>Typed readers over the positioned JSON tree; each problem is recorded, never thrown, so a
/// single load reports every error.</summary>
internal class JsonBinder(LineMap map)
{
    private readonly List<ConfigError> _errors = [];
    public IReadOnlyList<ConfigError> Errors => _errors;

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    public static string Index(string path, int i) => $"{path}[{i}]";

    public void Error(string path, JNode? at, string value, string message) => ErrorAt(path, at?.Offset, value, message);

    public void ErrorAt(string path, int? offset, string value, string message)
    {
        int? line = null, col = null;
        if (offset is int o) (line, col) = map.Locate(o);
        _errors.Add(new ConfigError(path, value, message, line, col));
    }

    public void Missing(Obj o, string key, string why = "") =>
        Error(o.At(key), o.Node, "", $"'{key}' is required{why}");

    /// <summary>Opens an object; unknown and duplicate keys are errors (nothing configured is silently ignored).</summary>
    public Obj? Open(JNode? n, string path, params string[] known)
    {
        if (n is null) return null;
        if (n is not JObject jo)
        {
            Error(path, n, n.Display, $"expected an object, got {n.KindName}");
            return null;
        }
        var found = new Dictionary<string, JNode>(StringComparer.Ordinal);
        foreach (var (name, nameOffset, value) in jo.Properties)
        {
            string? key = known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                ErrorAt(Join(path, name), nameOffset, name, $"unknown key '{name}' (expected one of: {string.Join(", ", known)})");
            }
            else if (!found.TryAdd(key, value))
            {
                ErrorAt(Join(path, name), nameOffset, name, $"duplicate key '{name}'");
            }
        }
        return new Obj(jo, path, found);
    }

    public List<(JNode Node, string Path)>? Array(Obj o, string key)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is not JArray a)
        {
            Error(o.At(key), n, n.Display, $"expected an array, got {n.KindName}");
            return null;
        }
        return a.Items.Select((item, i) => (item, Index(o.At(key), i))).ToList();
    }

    private JValue? Value(JNode? n, string path, JsonTokenType type, string expected)
    {
        if (n is null) return null;
        if (n is JValue v && v.Type == type) return v;
        Error(path, n, n.Display, $"expected {expected}, got {n.KindName}");
        return null;
    }

    public string? Str(Obj o, string key) => Str(o[key], o.At(key));

    public string? Str(JNode? n, string path)
    {
        var v = Value(n, path, JsonTokenType.String, "a string");
        if (v is null) return null;
        if (v.Text.Length == 0)
        {
            Error(path, n, "", "must not be empty");
            return null;
        }
        return v.Text;
    }

    /// <summary>A name used as a reference: letters, digits, '_', '.', '-'; up to 64 characters.</summary>
    public string? Name(JNode? n, string path)
    {
        var s = Str(n, path);
        if (s is null) return null;
        bool ok = s.Length <= 64 && char.IsAsciiLetterOrDigit(s[0])
            && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        if (!ok)
        {
            Error(path, n, s, $"'{s}' is not a valid name (letters, digits, '_', '.', '-'; starting with a letter or digit; at most 64)");
            return null;
        }
        return s;
    }

    public bool? Bool(Obj o, string key)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JValue { Type: JsonTokenType.True }) return true;
        if (n is JValue { Type: JsonTokenType.False }) return false;
        Error(o.At(key), n, n.Display, $"expected true or false, got {n.KindName}");
        return null;
    }

    public long? Int(Obj o, string key, long min, long max, string? what = null) => Int(o[key], o.At(key), min, max, what);

    public long? Int(JNode? n, string path, long min, long max, string? what = null)
    {
        var v = Value(n, path, JsonTokenType.Number, "an integer");
        if (v is null) return null;
        if (!long.TryParse(v.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x))
        {
            Error(path, n, v.Text, $"'{v.Text}' is not an integer");
            return null;
        }
        if (x < min || x > max)
        {
            Error(path, n, v.Text, $"'{v.Text}' is out of range: {what ?? "the value"} must be between {min} and {max}");
            return null;
        }
        return x;
    }

    public T? Enum<T>(Obj o, string key, params (string Name, T Value)[] names) where T : struct
    {
        var s = Str(o, key);
        if (s is null) return null;
        foreach (var (name, value) in names)
        {
            if (string.Equals(name, s, StringComparison.OrdinalIgnoreCase)) return value;
        }
        Error(o.At(key), o[key], s, $"'{s}' is not one of: {string.Join(", ", names.Select(x => x.Name))}");
        return null;
    }

    /// <summary>A dotted-quad IPv4 address, strictly: four decimal octets without leading zeros.</summary>
    public Ipv4Address? Ip(JNode? n, string path)
    {
        var s = Str(n, path);
        if (s is null) return null;
        if (TryParseIpv4(s, out var ip)) return ip;
        Error(path, n, s, $"'{s}' is not an IPv4 address");
        return null;
    }

    public static bool TryParseIpv4(string s, out Ipv4Address ip)
    {
        ip = default;
        var parts = s.Split('.');
        if (parts.Length != 4) return false;
        uint v = 0;
        foreach (var p in parts)
        {
            if (p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')) return false;
            int octet = int.Parse(p, CultureInfo.InvariantCulture);
            if (octet > 255) return false;
            v = (v << 8) | (uint)octet;
        }
        ip = new Ipv4Address(v);
        return true;
    }

    /// <summary>A unicast Ethernet address, "aa:bb:cc:dd:ee:ff".</summary>
    public MacAddress? Mac(JNode? n, string path)
    {
        var s = Str(n, path);
        if (s is null) return null;
        MacAddress mac;
        try
        {
            if (s.Length != 17 || s.Any(c => !(char.IsAsciiHexDigit(c) || c is ':' or '-'))) throw new FormatException();
            mac = MacAddress.Parse(s);
        }
        catch (FormatException)
        {
            Error(path, n, s, $"'{s}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
            return null;
        }
        if (mac.IsMulticast || mac.Value == 0)
        {
            Error(path, n, s, $"'{s}' is not a unicast MAC address");
            return null;
        }
        return mac;
    }

    /// <summary>An OpenFlow port: a number 1..0xffffff00 (OFPP_MAX) or a port name.</summary>
    public PortRef? Port(JNode? n, string path)
    {
        if (n is JValue { Type: JsonTokenType.String })
        {
            var s = Str(n, path);
            return s is null ? null : PortRef.ByName(s);
        }
        if (n is JValue { Type: JsonTokenType.Number })
        {
            var x = Int(n, path, 1, 0xffffff00, "an OpenFlow port number");
            return x is null ? null : PortRef.ByNumber((uint)x);
        }
        if (n is not null) Error(path, n, n.Display, $"expected a port number or name, got {n.KindName}");
        return null;
    }

    /// <summary>A duration: "500ms", "2s", "1m", or a TimeSpan "hh:mm:ss[.fff]".</summary>
    public TimeSpan? Duration(Obj o, string key, TimeSpan min, TimeSpan max)
    {
        var n = o[key];
        var s = Str(n, o.At(key));
        if (s is null) return null;
        TimeSpan? t = null;
        if (s.EndsWith("ms", StringComparison.Ordinal) && int.TryParse(s[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out int ms)) t = TimeSpan.FromMilliseconds(ms);
        else if (s.EndsWith('s') && int.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int sec)) t = TimeSpan.FromSeconds(sec);
        else if (s.EndsWith('m') && int.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int min2)) t = TimeSpan.FromMinutes(min2);
        else if (s.Contains(':') && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var ts)) t = ts;
        if (t is null)
        {
            Error(o.At(key), n, s, $"'{s}' is not a duration (e.g. \"500ms\", \"2s\", \"00:00:02\")");
            return null;
        }
        if (t < min || t > max)
        {
            Error(o.At(key), n, s, $"'{s}' is out of range: must be between {min} and {max}");
            return null;
        }
        return t;
    }
}
