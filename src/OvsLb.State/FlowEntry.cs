using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.State;

/// <summary>
/// One flow of a desired or installed state. Reconciliation compares flows by structure: the
/// <see cref="Key"/> (table, priority, <see cref="CanonicalMatch"/> bytes) says which flow it is, and
/// <see cref="SameContent"/> (cookie, timeouts, flags, canonical instruction bytes) whether it changed.
/// Key, canonical bytes and <see cref="Text"/> are computed once and cached; any <c>with { ... }</c>
/// that changes a property clears the caches.
/// </summary>
public sealed record FlowEntry
{
    private FlowKey? _key;
    private byte[]? _instructionBytes;
    private string? _text;

    public byte TableId { get; init { field = value; Changed(); } }
    public ushort Priority { get; init { field = value; Changed(); } } = 0x8000;
    public OfpMatch Match { get; init { field = value; Changed(); } } = OfpMatch.Any;
    public EquatableArray<OfpInstruction> Instructions { get; init { field = value; Changed(); } } = EquatableArray<OfpInstruction>.Empty;
    public ulong Cookie { get; init { field = value; Changed(); } }
    public ushort IdleTimeout { get; init { field = value; Changed(); } }
    public ushort HardTimeout { get; init { field = value; Changed(); } }
    public FlowModFlags Flags { get; init { field = value; Changed(); } }

    private void Changed()
    {
        _key = null;
        _instructionBytes = null;
        _text = null;
    }

    /// <summary>Which flow this is to the switch: equal for a flow and its read-back copy, whatever order OVS returns the match in.</summary>
    public FlowKey Key => _key ??= new(TableId, Priority, CanonicalMatch.Encode(Match));

    /// <summary>The instructions as the switch keeps them (see <see cref="CanonicalInstructions"/>).</summary>
    public ReadOnlySpan<byte> InstructionBytes => _instructionBytes ??= CanonicalInstructions.Encode(Instructions);

    /// <summary>
    /// True when installing this flow over <paramref name="other"/> (same key) would change nothing:
    /// same cookie, timeouts, flags and canonical instruction bytes. The very same instance is the same
    /// without encoding anything.
    /// </summary>
    public bool SameContent(FlowEntry other) => ReferenceEquals(this, other) ||
        (Cookie == other.Cookie && IdleTimeout == other.IdleTimeout && HardTimeout == other.HardTimeout && Flags == other.Flags
         && InstructionBytes.SequenceEqual(other.InstructionBytes));

    /// <summary>The flow as <c>ovs-ofctl --no-stats dump-flows</c> prints it: for display and sorting output only, never for deciding.</summary>
    public string Text => _text ??= FlowEntryFormatter.Format(Cookie, TableId, IdleTimeout, HardTimeout, Flags, Priority, Match, Instructions);

    /// <summary>Value equality over the flow's properties (the caches do not take part).</summary>
    public bool Equals(FlowEntry? other) => other is not null && (ReferenceEquals(this, other) ||
        (TableId == other.TableId && Priority == other.Priority && Cookie == other.Cookie && IdleTimeout == other.IdleTimeout
         && HardTimeout == other.HardTimeout && Flags == other.Flags && Match.Equals(other.Match) && Instructions.Equals(other.Instructions)));

    public override int GetHashCode() => HashCode.Combine(TableId, Priority, Cookie, IdleTimeout, HardTimeout, Flags, Match, Instructions);

    public override string ToString() => Text;

    public FlowMod ToAdd() => new()
    {
        Command = FlowModCommand.Add, TableId = TableId, Priority = Priority, Match = Match, Instructions = Instructions,
        Cookie = Cookie, IdleTimeout = IdleTimeout, HardTimeout = HardTimeout, Flags = Flags,
    };

    /// <summary>DELETE_STRICT of exactly this flow (table, priority, match; only if the cookie still matches).</summary>
    public FlowMod ToDeleteStrict() => new()
    {
        Command = FlowModCommand.DeleteStrict, TableId = TableId, Priority = Priority, Match = Match,
        Cookie = Cookie, CookieMask = ulong.MaxValue,
    };

    public static FlowEntry From(FlowStatsEntry e) => new()
    {
        TableId = e.TableId, Priority = e.Priority, Match = e.Match, Instructions = e.Instructions, Cookie = e.Cookie,
        IdleTimeout = e.IdleTimeout, HardTimeout = e.HardTimeout, Flags = e.Flags,
    };

    public static FlowEntry From(FlowMod m) => new()
    {
        TableId = m.TableId, Priority = m.Priority, Match = m.Match, Instructions = m.Instructions, Cookie = m.Cookie,
        IdleTimeout = m.IdleTimeout, HardTimeout = m.HardTimeout, Flags = m.Flags,
    };
}
