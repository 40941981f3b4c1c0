using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.State;

/// <summary>
/// One group of a desired or installed state, compared by structure: <see cref="SameContent"/> is
/// type plus canonical bucket bytes. The bytes and the display <see cref="Text"/> are computed once
/// and cached (a 256-bucket select group takes ~70 µs to format; encoding it is far cheaper, and a
/// diff of 1,000 groups compares both sides); any <c>with { ... }</c> that changes a property clears them.
/// </summary>
public sealed record GroupEntry(uint GroupId, GroupType Type, EquatableArray<Bucket> Buckets)
{
    private byte[]? _bytes;
    private string? _text;

    public uint GroupId { get; init { field = value; Changed(); } } = GroupId;
    public GroupType Type { get; init { field = value; Changed(); } } = Type;
    public EquatableArray<Bucket> Buckets { get; init { field = value; Changed(); } } = Buckets;

    private void Changed()
    {
        _bytes = null;
        _text = null;
    }

    /// <summary>Type and buckets as the switch keeps them (see <see cref="CanonicalInstructions.EncodeGroup"/>).</summary>
    public ReadOnlySpan<byte> ContentBytes => _bytes ??= CanonicalInstructions.EncodeGroup(Type, Buckets);

    /// <summary>True when modifying <paramref name="other"/> into this group would change nothing; the same instance is the same without encoding.</summary>
    public bool SameContent(GroupEntry other) => ReferenceEquals(this, other) || (Type == other.Type && ContentBytes.SequenceEqual(other.ContentBytes));

    /// <summary>The group as <c>ovs-ofctl dump-groups</c> prints it: for display only, never for deciding.</summary>
    public string Text => _text ??= new GroupMod(GroupModCommand.Add, Type, GroupId, Buckets).DumpText();

    /// <summary>Value equality over the group's properties (the caches do not take part).</summary>
    public bool Equals(GroupEntry? other) => other is not null && (ReferenceEquals(this, other) ||
        (GroupId == other.GroupId && Type == other.Type && Buckets.Equals(other.Buckets)));

    public override int GetHashCode() => HashCode.Combine(GroupId, Type, Buckets);

    public override string ToString() => Text;

    public GroupMod ToAdd() => new(GroupModCommand.Add, Type, GroupId, Buckets);
    public GroupMod ToModify() => new(GroupModCommand.Modify, Type, GroupId, Buckets);
    public GroupMod ToDelete() => new(GroupModCommand.Delete, GroupType.All, GroupId, EquatableArray<Bucket>.Empty);

    public static GroupEntry From(GroupDescEntry e) => new(e.GroupId, e.GroupType, e.Buckets);
}
