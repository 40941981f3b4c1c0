using System.Runtime.CompilerServices;

namespace OvsLb.OpenFlow.Wire;

/// <summary>
/// Immutable byte string with value equality. Wraps (does not copy) the memory it is given, so a
/// decoded value may alias the receive buffer: copy with <see cref="Copy"/> before the buffer is reused.
/// </summary>
public readonly struct Bytes : IEquatable<Bytes>
{
    public Bytes(ReadOnlyMemory<byte> memory) => Memory = memory;

    public static readonly Bytes Empty = new(ReadOnlyMemory<byte>.Empty);

    public ReadOnlyMemory<byte> Memory { get; }
    public ReadOnlySpan<byte> Span => Memory.Span;
    public int Length => Memory.Length;
    public bool IsEmpty => Memory.IsEmpty;

    public static implicit operator Bytes(byte[] bytes) => new(bytes);
    public static implicit operator Bytes(ReadOnlyMemory<byte> bytes) => new(bytes);

    public static Bytes FromHex(string hex) => new(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));

    /// <summary>A private copy that no longer aliases the buffer this value was decoded from.</summary>
    public Bytes Copy() => new(Memory.ToArray());

    public bool Equals(Bytes other) => Memory.Span.SequenceEqual(other.Memory.Span);
    public override bool Equals(object? obj) => obj is Bytes b && Equals(b);
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Memory.Span);
        return h.ToHashCode();
    }

    public static bool operator ==(Bytes a, Bytes b) => a.Equals(b);
    public static bool operator !=(Bytes a, Bytes b) => !a.Equals(b);

    public override string ToString() => Convert.ToHexString(Memory.Span).ToLowerInvariant();
}

/// <summary>
/// Immutable list with value (sequence) equality, so records holding lists compare by content —
/// the reconciler diffs desired against installed state with plain equality.
/// </summary>
[CollectionBuilder(typeof(EquatableArray), nameof(EquatableArray.Create))]
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
{
    private readonly T[]? _items;

    public EquatableArray(T[] items) => _items = items;

    public static readonly EquatableArray<T> Empty = new([]);

    public int Count => _items?.Length ?? 0;
    public int Length => Count;
    public bool IsEmpty => Count == 0;
    public T this[int index] => (_items ?? [])[index];
    public ReadOnlySpan<T> AsSpan() => _items;

    public bool Equals(EquatableArray<T> other) => AsSpan().SequenceEqual(other.AsSpan(), EqualityComparer<T>.Default);
    public override bool Equals(object? obj) => obj is EquatableArray<T> o && Equals(o);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var item in AsSpan()) h.Add(item);
        return h.ToHashCode();
    }

    public static bool operator ==(EquatableArray<T> a, EquatableArray<T> b) => a.Equals(b);
    public static bool operator !=(EquatableArray<T> a, EquatableArray<T> b) => !a.Equals(b);

    public ReadOnlySpan<T>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => (_items ?? []).GetEnumerator();

    public static implicit operator EquatableArray<T>(T[] items) => new(items);
    public static implicit operator EquatableArray<T>(List<T> items) => new(items.ToArray());

    public override string ToString() => $"[{string.Join(", ", _items ?? [])}]";
}

public static class EquatableArray
{
    public static EquatableArray<T> Create<T>(ReadOnlySpan<T> items) => new(items.ToArray());
}
