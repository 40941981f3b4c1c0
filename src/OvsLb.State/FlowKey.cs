namespace OvsLb.State;

/// <summary>
/// A flow's identity in a switch (OpenFlow 1.3.5 §6.4: table, priority and match). The match is held
/// as <see cref="CanonicalMatch"/> bytes, so a flow read back from the switch (OVS re-encodes matches
/// in its own order and header style) has the same key as the flow we asked for, and no text is
/// formatted to compare two flows. The hash is computed once, when the key is made.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly byte[] _match;
    private readonly int _hash;

    public FlowKey(byte tableId, ushort priority, byte[] canonicalMatch)
    {
        TableId = tableId;
        Priority = priority;
        _match = canonicalMatch;
        var h = new HashCode();
        h.Add(tableId);
        h.Add(priority);
        h.AddBytes(canonicalMatch);
        _hash = h.ToHashCode();
    }

    public byte TableId { get; }
    public ushort Priority { get; }

    /// <summary>The canonical OXM bytes of the match (see <see cref="CanonicalMatch"/>).</summary>
    public ReadOnlySpan<byte> Match => _match;

    public bool Equals(FlowKey other) =>
        _hash == other._hash && TableId == other.TableId && Priority == other.Priority && Match.SequenceEqual(other.Match);

    public override bool Equals(object? obj) => obj is FlowKey k && Equals(k);
    public override int GetHashCode() => _hash;

    public static bool operator ==(FlowKey a, FlowKey b) => a.Equals(b);
    public static bool operator !=(FlowKey a, FlowKey b) => !a.Equals(b);

    /// <summary>For logs and test failures only: the match as hex OXM bytes.</summary>
    public override string ToString() => $"table={TableId},priority={Priority},match={Convert.ToHexString(_match ?? []).ToLowerInvariant()}";
}
