using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>NX_CT_F_* flags. Bits OVS does not define are kept (OVS neither rejects nor prints them).</summary>
[Flags]
public enum CtFlags : ushort
{
    None = 0,
    /// <summary>Commit the connection to the connection tracker.</summary>
    Commit = 1,
    /// <summary>With commit: end an existing connection in the other direction and start a new one.</summary>
    Force = 2,
}

/// <summary>
/// NXAST_CT (35): send the packet through the connection tracker, optionally committing the connection,
/// then (with a table) continue a copy of it in that table with the ct_* fields filled in. The nested
/// actions run inside the tracker: <see cref="NatAction"/> and writes to ct_mark / ct_label
/// (set_field, reg_load, reg_move); anything else is rejected as OVS does. The load balancer's
/// stateful stages are built on it.
/// <code>
/// struct nx_action_conntrack {
///     ovs_be16 type, len;        /* 0xffff, 24 + nested actions */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 35 */
///     ovs_be16 flags;            /* NX_CT_F_* */
///     ovs_be32 zone_src;         /* field header of the zone source, or 0 */
///     ovs_be16 zone;             /* zone_src ? (ofs &lt;&lt; 6) | (n_bits - 1) : immediate zone */
///     uint8_t recirc_table;      /* 255 = no recirculation */
///     uint8_t pad[3];
///     ovs_be16 alg;              /* 0, 21 (ftp) or 69 (tftp) */
///     /* nested actions */
/// };
/// </code>
/// Prints (format_CT) <c>ct(commit,force,table=T,zone=Z,nat(...),exec(...),alg=ftp)</c>, listing only
/// what is set; a first nested nat is printed outside exec(...).
/// </summary>
public sealed record CtAction : OfpAction
{
    public const byte NoRecirc = 255;
    public const ushort AlgFtp = 21;
    public const ushort AlgTftp = 69;

    public CtFlags Flags { get; init; }
    /// <summary>Take the zone from these 16 bits of a field; when null, <see cref="Zone"/> is used.</summary>
    public Subfield? ZoneSrc { get; init; }
    /// <summary>Immediate zone (when <see cref="ZoneSrc"/> is null).</summary>
    public ushort Zone { get; init; }
    /// <summary>Table to continue in after the tracker, or <see cref="NoRecirc"/>.</summary>
    public byte RecircTable { get; init; } = NoRecirc;
    public ushort Alg { get; init; }
    public EquatableArray<OfpAction> Actions { get; init; } = EquatableArray<OfpAction>.Empty;

    public override int WireLength => 24 + ListLength(Actions);

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.Ct);
        w.WriteU16((ushort)Flags);
        if (ZoneSrc is { } zs)
        {
            w.WriteU32(zs.Ref.Header);
            w.WriteU16(NxWire.EncodeOfsNbits(zs));
        }
        else
        {
            w.WriteU32(0);
            w.WriteU16(Zone);
        }
        w.WriteU8(RecircTable);
        w.WriteZeros(3);
        w.WriteU16(Alg);
        WriteList(ref w, Actions);
    }

    /// <summary>decode_NXAST_RAW_CT (lib/ofp-actions.c) and the nesting rules of ofpacts_verify_nested.</summary>
    internal static CtAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 24, "ct", at);
        var flags = (CtFlags)r.ReadU16("ct flags");
        if (flags.HasFlag(CtFlags.Force) && !flags.HasFlag(CtFlags.Commit))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, "ct: force requires commit", at);
        }
        uint zoneSrc = r.ReadU32("ct zone_src");
        ushort zone = r.ReadU16("ct zone");
        Subfield? zoneField = null;
        if (zoneSrc != 0)
        {
            var (ofs, nBits) = NxWire.OfsNbits(zone);
            zoneField = NxWire.Src(new FieldRef(zoneSrc), ofs, nBits, "ct zone", at);
            if (nBits != 16) throw new OfpProtocolException(OfpErrorKind.BadAction, $"ct: zone source has {nBits} bits (must be 16)", at);
            zone = 0;
        }
        byte table = r.ReadU8("ct recirc_table");
        NxWire.Zeros(ref r, 3, "ct: pad", at);
        ushort alg = r.ReadU16("ct alg");
        var actions = ActionCodec.ReadList(ref r, r.Remaining);
        foreach (var a in actions)
        {
            CheckNested(a, flags, at);
        }
        return new CtAction { Flags = flags, ZoneSrc = zoneField, Zone = zone, RecircTable = table, Alg = alg, Actions = actions };
    }

    private static void CheckNested(OfpAction a, CtFlags flags, int at)
    {
        if (a is NatAction nat)
        {
            if (!flags.HasFlag(CtFlags.Commit) && !nat.IsBare)
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, "ct: nat with arguments requires commit", at);
            }
            return;
        }
        FieldInfo? dst = a switch
        {
            SetFieldAction sf => sf.Field.Field,
            RegLoadAction rl => rl.Dst.Ref.Field,
            RegMoveAction rm => rm.Dst.Ref.Field,
            _ => throw new OfpProtocolException(OfpErrorKind.BadAction, $"ct: {a} is not allowed inside ct", at),
        };
        if (dst is null || (dst.Id != MfId.CtMark && dst.Id != MfId.CtLabel))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"ct: nested {a} may only modify ct_mark or ct_label", at);
        }
        if (!flags.HasFlag(CtFlags.Commit))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, "ct: nested actions other than a bare nat require commit", at);
        }
    }

    public override void Format(StringBuilder s)
    {
        s.Append("ct(");
        if (Flags.HasFlag(CtFlags.Commit)) s.Append("commit,");
        if (Flags.HasFlag(CtFlags.Force)) s.Append("force,");
        if (RecircTable != NoRecirc) s.Append("table=").Append(OfctlFormat.Table(RecircTable)).Append(',');
        if (ZoneSrc is { } zs) s.Append("zone=").Append(zs.ToString()).Append(',');
        else if (Zone != 0) s.Append("zone=").Append(Zone).Append(',');
        int first = 0;
        if (Actions.Count > 0 && Actions[0] is NatAction nat)
        {
            nat.Format(s);
            s.Append(',');
            first = 1;
        }
        if (Actions.Count > first)
        {
            s.Append("exec(");
            for (int i = first; i < Actions.Count; i++)
            {
                if (i > first) s.Append(',');
                Actions[i].Format(s);
            }
            s.Append("),");
        }
        switch (Alg)
        {
            case 0: break;
            case AlgFtp: s.Append("alg=ftp,"); break;
            case AlgTftp: s.Append("alg=tftp,"); break;
            default: s.Append("alg=").Append(Alg).Append(','); break;
        }
        if (s[^1] == ',') s.Length--;
        s.Append(')');
    }
}

/// <summary>
/// NXAST_CT_CLEAR (43): forget the packet's connection-tracking state (ct_state and the other ct_*
/// fields become unset), e.g. before sending it through the tracker again in another zone. Prints <c>ct_clear</c>.
/// <code>
/// struct nx_action_header { ovs_be16 type, len /* 16 */; ovs_be32 vendor; ovs_be16 subtype /* 43 */; uint8_t pad[6]; };
/// </code>
/// </summary>
public sealed record CtClearAction : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.CtClear);
        w.WriteZeros(6);
    }

    internal static CtClearAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "ct_clear", at);
        NxWire.Zeros(ref r, 6, "ct_clear: pad", at);
        return new CtClearAction();
    }

    public override void Format(StringBuilder s) => s.Append("ct_clear");
}
