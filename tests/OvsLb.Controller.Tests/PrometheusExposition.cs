using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>One sample line: metric name, labels, value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? this[string label] => Labels.TryGetValue(label, out var v) ? v : null;
}

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's
/// specification (prometheus.io/docs/instrumenting/exposition_formats), to check what /metrics serves:
/// every line is <c># HELP name text</c>, <c># TYPE name type</c> or <c>name{label="value",...} value</c>;
/// names and label names match their grammars, label values use only the three escapes, a family's TYPE
/// comes once and before its samples, families are not interleaved, no series appears twice, counters
/// are not negative, and each histogram has cumulative buckets ending in <c>le="+Inf"</c> equal to its
/// <c>_count</c>. Throws <see cref="FormatException"/> naming the line.
/// </summary>
public static partial class PrometheusExposition
{
    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^(?:[+-]?Inf|NaN|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$")]
    private static partial Regex FloatValue();

    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyList<Sample> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition does not end with a line feed");
        var lines = text.Length == 0 ? [] : text[..^1].Split('\n');
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        string? current = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string where = $"line {i + 1} '{line}'";
            if (line.StartsWith('#'))
            {
                var m = Regex.Match(line, @"^# (HELP|TYPE) (\S+) ?(.*)$");
                if (!m.Success) throw new FormatException($"{where}: a comment that is not # HELP or # TYPE");
                string name = m.Groups[2].Value;
                if (!MetricName().IsMatch(name)) throw new FormatException($"{where}: bad metric name");
                Enter(name, where);
                if (m.Groups[1].Value == "TYPE")
                {
                    if (!Types.Contains(m.Groups[3].Value)) throw new FormatException($"{where}: unknown type");
                    if (!types.TryAdd(name, m.Groups[3].Value)) throw new FormatException($"{where}: second TYPE for {name}");
                    if (samples.Any(s => FamilyOf(s.Name, types) == name)) throw new FormatException($"{where}: TYPE after samples of {name}");
                }
                else if (!helps.Add(name)) throw new FormatException($"{where}: second HELP for {name}");
                else Unescape(m.Groups[3].Value, allowQuote: false, where);
                continue;
            }
            var sample = ParseSample(line, where);
            string family = FamilyOf(sample.Name, types);
            Enter(family, where);
            string key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!series.Add(key)) throw new FormatException($"{where}: series {key} appears twice");
            if (types.GetValueOrDefault(family) == "counter" && sample.Value < 0) throw new FormatException($"{where}: negative counter");
            samples.Add(sample);
        }
        foreach (var (family, type) in types.Where(t => t.Value == "histogram")) CheckHistogram(family, samples);
        return samples;

        void Enter(string family, string where)
        {
            if (family == current) return;
            if (current is not null) closed.Add(current);
            if (closed.Contains(family)) throw new FormatException($"{where}: family {family} continues after another family");
            current = family;
        }
    }

    /// <summary>The family a sample belongs to: its name, or the histogram/summary it is a _bucket/_sum/_count of.</summary>
    private static string FamilyOf(string name, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var t) && t is "histogram" or "summary")
            {
                return name[..^suffix.Length];
            }
        }
        return name;
    }

    private static Sample ParseSample(string line, string where)
    {
        try
        {
            return ParseSampleUnchecked(line, where);
        }
        catch (IndexOutOfRangeException)
        {
            throw new FormatException($"{where}: line ends inside the labels");
        }
    }

    private static Sample ParseSampleUnchecked(string line, string where)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        string name = line[..i];
        if (!MetricName().IsMatch(name)) throw new FormatException($"{where}: bad metric name '{name}'");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0) throw new FormatException($"{where}: label without '='");
                string label = line[i..eq];
                if (!LabelName().IsMatch(label)) throw new FormatException($"{where}: bad label name '{label}'");
                if (eq + 1 >= line.Length || line[eq + 1] != '"') throw new FormatException($"{where}: label value not quoted");
                int j = eq + 2;
                var raw = new StringBuilder();
                while (j < line.Length && line[j] != '"')
                {
                    if (line[j] == '\\' && j + 1 < line.Length) raw.Append(line[j++]);
                    raw.Append(line[j++]);
                }
                if (j >= line.Length) throw new FormatException($"{where}: unterminated label value");
                if (!labels.TryAdd(label, Unescape(raw.ToString(), allowQuote: true, where))) throw new FormatException($"{where}: label {label} twice");
                i = j + 1;
                if (line[i] == ',') i++;
                else if (line[i] != '}') throw new FormatException($"{where}: expected ',' or '}}' after a label");
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"{where}: no space before the value");
        var parts = line[(i + 1)..].Split(' ');
        if (parts.Length is < 1 or > 2 || !FloatValue().IsMatch(parts[0])) throw new FormatException($"{where}: bad value");
        if (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) throw new FormatException($"{where}: bad timestamp");
        double value = parts[0] switch
        {
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, value);
    }

    private static string Unescape(string s, bool allowQuote, string where)
    {
        var b = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\')
            {
                if (s[i] == '\n') throw new FormatException($"{where}: raw line feed");
                b.Append(s[i]);
                continue;
            }
            if (++i >= s.Length) throw new FormatException($"{where}: dangling backslash");
            b.Append(s[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when allowQuote => '"',
                _ => throw new FormatException($"{where}: unknown escape \\{s[i]}"),
            });
        }
        return b.ToString();
    }

    private static void CheckHistogram(string family, IReadOnlyList<Sample> samples)
    {
        static string Key(Sample s) => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        var counts = samples.Where(s => s.Name == family + "_count").ToDictionary(Key, s => s.Value);
        var sums = samples.Where(s => s.Name == family + "_sum").Select(Key).ToHashSet();
        foreach (var group in samples.Where(s => s.Name == family + "_bucket").GroupBy(Key))
        {
            var buckets = group.Select(s => (Le: s["le"] ?? throw new FormatException($"{family}_bucket without le"), s.Value)).ToList();
            var bounds = buckets.Select(b => b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture)).ToList();
            if (!double.IsPositiveInfinity(bounds[^1])) throw new FormatException($"{family}{{{group.Key}}}: last bucket is not le=\"+Inf\"");
            for (int i = 1; i < buckets.Count; i++)
            {
                if (bounds[i] <= bounds[i - 1]) throw new FormatException($"{family}{{{group.Key}}}: bucket bounds not increasing");
                if (buckets[i].Value < buckets[i - 1].Value) throw new FormatException($"{family}{{{group.Key}}}: buckets not cumulative");
            }
            if (!counts.TryGetValue(group.Key, out var count) || count != buckets[^1].Value) throw new FormatException($"{family}{{{group.Key}}}: _count differs from the +Inf bucket");
            if (!sums.Contains(group.Key)) throw new FormatException($"{family}{{{group.Key}}}: no _sum");
        }
    }

    /// <summary>
    /// Runs <c>promtool check metrics</c> (Debian package <c>prometheus</c>) on the text when it is installed:
    /// Prometheus's own parser and linter as an independent referee. Returns null when promtool is absent.
    /// </summary>
    public static CommandResult? Promtool(string text)
    {
        string? path = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        return path is null ? null : ProcessRunner.Run(path, ["check", "metrics"], stdin: text);
    }
}
