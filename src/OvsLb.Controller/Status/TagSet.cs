using System.Globalization;

namespace OvsLb.Controller.Status;

/// <summary>
/// The tags of one series, as sorted label pairs, with its rendered label text. Equality ignores tag
/// order (two call sites passing the same tags in another order are one series, as Prometheus requires).
/// </summary>
internal sealed class TagSet
{
    public TagSet(IEnumerable<KeyValuePair<string, string>> tags)
    {
        Tags = tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        foreach (var (k, v) in Tags) Hash += PairHash(k, v);
        Text = PrometheusText.Labels(Tags.Select(t => KeyValuePair.Create(PrometheusText.LabelName(t.Key), t.Value)));
    }

    public KeyValuePair<string, string>[] Tags { get; }

    /// <summary>Order-independent: the sum of the pairs' hashes.</summary>
    public int Hash { get; }

    /// <summary><c>{a="x",b="y"}</c> or "".</summary>
    public string Text { get; }

    /// <summary>The label text with one more label (a histogram bucket's <c>le</c>) appended.</summary>
    public string With(string label, string value) =>
        PrometheusText.Labels(Tags.Select(t => KeyValuePair.Create(PrometheusText.LabelName(t.Key), t.Value)).Append(KeyValuePair.Create(label, value)));

    public static int PairHash(string key, string value) => HashCode.Combine(key, value);

    /// <summary>A tag value as label text: strings as they are, numbers in invariant culture, booleans lower case.</summary>
    public static string ValueText(object? v) => v switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}

/// <summary>
/// Compares tag sets, and a measurement's tag span with a stored set without building one: the
/// exporter finds the series of a measurement with no allocation (ConcurrentDictionary alternate lookup).
/// </summary>
internal sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagSet>
{
    public static readonly TagSetComparer Instance = new();

    public bool Equals(TagSet? x, TagSet? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && x.Tags.AsSpan().SequenceEqual(y.Tags));

    public int GetHashCode(TagSet obj) => obj.Hash;

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> alternate, TagSet other)
    {
        if (alternate.Length != other.Tags.Length) return false;
        foreach (var (k, v) in alternate)
        {
            bool found = false;
            foreach (var t in other.Tags)
            {
                if (!string.Equals(t.Key, k, StringComparison.Ordinal)) continue;
                found = string.Equals(t.Value, v as string ?? TagSet.ValueText(v), StringComparison.Ordinal);
                break;
            }
            if (!found) return false;
        }
        return true;
    }

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> alternate)
    {
        int h = 0;
        foreach (var (k, v) in alternate) h += TagSet.PairHash(k, v as string ?? TagSet.ValueText(v));
        return h;
    }

    public TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> alternate)
    {
        var pairs = new List<KeyValuePair<string, string>>(alternate.Length);
        foreach (var (k, v) in alternate) pairs.Add(KeyValuePair.Create(k, TagSet.ValueText(v)));
        return new TagSet(pairs);
    }
}
