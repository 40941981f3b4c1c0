using System.Text;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

public enum FlowModCommand : byte { Add = 0, Modify = 1, ModifyStrict = 2, Delete = 3, DeleteStrict = 4 }

[Flags]
public enum FlowModFlags : ushort
{
    None = 0, SendFlowRem = 1, CheckOverlap = 2, ResetCounts = 4, NoPacketCounts = 8, NoByteCounts = 16,
}

/// <summary>
/// OFPT_FLOW_MOD (OpenFlow 1.3.5 §7.3.4.1).
/// <code>
/// struct ofp_flow_mod {
///     struct ofp_header header;
///     uint64_t cookie, cookie_mask;
///     uint8_t table_id, command;
///     uint16_t idle_timeout, hard_timeout, priority;
///     uint32_t buffer_id, out_port, out_group;
///     uint16_t flags; uint8_t pad[2];
///     struct ofp_match match;            /* padded to 8 */
///     /* struct ofp_instruction instructions[]; */
/// };                                     /* 56 bytes before the match */
/// </code>
/// </summary>
public sealed record FlowMod : OfpMessage
{
    public const uint NoBuffer = 0xffffffff;
    public const uint AnyGroup = 0xffffffff;
    public const byte AllTables = 0xff;

    public ulong Cookie { get; init; }
    public ulong CookieMask { get; init; }
    public byte TableId { get; init; }
    public FlowModCommand Command { get; init; }
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public ushort Priority { get; init; } = 0x8000;
    public uint BufferId { get; init; } = NoBuffer;
    public uint OutPort { get; init; } = OfctlFormat.Ports.Any;
    public uint OutGroup { get; init; } = AnyGroup;
    public FlowModFlags Flags { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;
    public EquatableArray<OfpInstruction> Instructions { get; init; } = EquatableArray<OfpInstruction>.Empty;

    public override OfpType Type => OfpType.FlowMod;
    public override string OvsName => "OFPT_FLOW_MOD";
    public override int BodyLength => 40 + Match.WireLength + OfpInstruction.ListLength(Instructions);

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU64(Cookie);
        w.WriteU64(CookieMask);
        w.WriteU8(TableId);
        w.WriteU8((byte)Command);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU16(Priority);
        w.WriteU32(BufferId);
        w.WriteU32(OutPort);
        w.WriteU32(OutGroup);
        w.WriteU16((ushort)Flags);
        w.WriteZeros(2);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    internal static FlowMod Read(ref OfpReader r)
    {
        var m = new FlowMod
        {
            Cookie = r.ReadU64("cookie"),
            CookieMask = r.ReadU64("cookie_mask"),
            TableId = r.ReadU8("table_id"),
            Command = (FlowModCommand)r.ReadU8("command"),
            IdleTimeout = r.ReadU16("idle_timeout"),
            HardTimeout = r.ReadU16("hard_timeout"),
            Priority = r.ReadU16("priority"),
            BufferId = r.ReadU32("buffer_id"),
            OutPort = r.ReadU32("out_port"),
            OutGroup = r.ReadU32("out_group"),
            Flags = (FlowModFlags)r.ReadU16("flags"),
        };
        r.Skip(2);
        var match = OfpMatch.Read(ref r);
        return m with { Match = match, Instructions = OfpInstruction.ReadList(ref r, r.Remaining) };
    }

    /// <summary>
    /// The error Open vSwitch answers when it decodes this FLOW_MOD (a match it refuses, table 255 for
    /// an add/modify, a bad out_port or command, an invalid output port, goto_table backwards,
    /// fin_timeout without a TCP match, ...), or null when OVS accepts it. See also <see cref="OvsChecks"/>.
    /// </summary>
    public string? CheckError() => FlowModChecks.CheckError(this);

    /// <summary>ofputil_flow_mod_format (lib/ofp-flow.c).</summary>
    public override void FormatBody(StringBuilder s)
    {
        if (FlowModChecks.CheckError(this) is { } error)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        s.Append(' ').Append(Command switch
        {
            FlowModCommand.Add => "ADD",
            FlowModCommand.Modify => "MOD",
            FlowModCommand.ModifyStrict => "MOD_STRICT",
            FlowModCommand.Delete => "DEL",
            FlowModCommand.DeleteStrict => "DEL_STRICT",
            _ => $"cmd:{(byte)Command}",
        });
        if (TableId != 0) s.Append(" table:").Append(OfctlFormat.Table(TableId));
        s.Append(' ');
        MatchFormatter.Format(s, Match, Priority);
        if (s[^1] != ' ') s.Append(' ');
        // OpenFlow 1.3 decoding: an ADD sets the cookie (new_cookie) and ignores cookie_mask; the other
        // commands match on cookie/cookie_mask and set no new cookie. So an ADD with a nonzero mask prints
        // only "cookie:0x<cookie>", and an ADD with cookie 0xffffffffffffffff prints no cookie at all.
        bool add = Command == FlowModCommand.Add;
        ulong newCookie = add ? Cookie : ulong.MaxValue;
        if (newCookie != 0 && newCookie != ulong.MaxValue) s.Append("cookie:0x").Append(newCookie.ToString("x")).Append(' ');
        if (!add && CookieMask != 0) s.Append("cookie:0x").Append(Cookie.ToString("x")).Append("/0x").Append(CookieMask.ToString("x")).Append(' ');
        if (IdleTimeout != 0) s.Append("idle:").Append(IdleTimeout).Append(' ');
        if (HardTimeout != 0) s.Append("hard:").Append(HardTimeout).Append(' ');
        if (BufferId != NoBuffer) s.Append("buf:0x").Append(BufferId.ToString("x")).Append(' ');
        if (OutPort != OfctlFormat.Ports.Any) s.Append("out_port:").Append(OfctlFormat.Port(OutPort)).Append(' ');
        FormatFlags(s, Flags);
        s.Append("actions=");
        OfpInstruction.FormatList(s, Instructions);
    }

    internal static void FormatFlags(StringBuilder s, FlowModFlags flags)
    {
        if (flags.HasFlag(FlowModFlags.SendFlowRem)) s.Append("send_flow_rem ");
        if (flags.HasFlag(FlowModFlags.CheckOverlap)) s.Append("check_overlap ");
        if (flags.HasFlag(FlowModFlags.ResetCounts)) s.Append("reset_counts ");
        if (flags.HasFlag(FlowModFlags.NoPacketCounts)) s.Append("no_packet_counts ");
        if (flags.HasFlag(FlowModFlags.NoByteCounts)) s.Append("no_byte_counts ");
    }
}
