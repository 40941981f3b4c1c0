using System.Globalization;
using System.Text;

namespace OvsLb.Controller.Status;

/// <summary>
/// The pieces of the Prometheus text exposition format 0.0.4 that need care: metric and label names
/// (only <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c> / <c>[a-zA-Z_][a-zA-Z0-9_]*</c>), escaping of HELP text and
/// label values, sample values (<c>+Inf</c>, <c>NaN</c>, shortest round-trip decimals), and units:
/// Prometheus wants base units in the name (<c>_seconds</c>, <c>_bytes</c>), so instruments in ms or µs
/// are scaled to seconds.
/// </summary>
public static class PrometheusText
{
    /// <summary>The content type of the 0.0.4 text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>A metric name from an instrument name: every character Prometheus does not allow becomes '_' (dots included).</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>A label name from a tag key.</summary>
    public static string LabelName(string key) => Sanitize(key, allowColon: false);

    private static string Sanitize(string s, bool allowColon)
    {
        if (s.Length == 0) return "_";
        var b = new StringBuilder(s.Length + 1);
        if (char.IsAsciiDigit(s[0])) b.Append('_');
        foreach (char c in s)
        {
            b.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }
        return b.ToString();
    }

    /// <summary>
    /// The name suffix and scale for a UCUM unit as System.Diagnostics.Metrics uses them: "ms" →
    /// ("_seconds", 0.001), "By" → ("_bytes", 1); annotations such as "{message}" and unknown units add nothing.
    /// </summary>
    public static (string Suffix, double Scale) Unit(string? unit) => unit switch
    {
        "s" => ("_seconds", 1),
        "ms" => ("_seconds", 1e-3),
        "us" or "µs" => ("_seconds", 1e-6),
        "ns" => ("_seconds", 1e-9),
        "By" => ("_bytes", 1),
        "1" => ("_ratio", 1),
        _ => ("", 1),
    };

    /// <summary>HELP text: backslash and line feed escaped.</summary>
    public static string EscapeHelp(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A label value: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabelValue(string s) =>
        s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A sample value as Prometheus parses it (Go's ParseFloat): shortest round-trip form, +Inf, -Inf, NaN.</summary>
    public static string Value(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary><c>{a="x",b="y"}</c>, or "" without labels.</summary>
    public static string Labels(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var b = new StringBuilder();
        foreach (var (k, v) in labels)
        {
            b.Append(b.Length == 0 ? '{' : ',').Append(k).Append("=\"").Append(EscapeLabelValue(v)).Append('"');
        }
        if (b.Length > 0) b.Append('}');
        return b.ToString();
    }
}
