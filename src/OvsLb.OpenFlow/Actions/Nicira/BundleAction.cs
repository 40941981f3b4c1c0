using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>nx_bd_algorithm: how bundle picks a member.</summary>
public enum NxBundleAlgorithm : ushort
{
    /// <summary>The first live member in the list.</summary>
    ActiveBackup = 0,
    /// <summary>Highest random weight over the live members (stable when members come and go).</summary>
    Hrw = 1,
}

/// <summary>
/// NXAST_BUNDLE (12) and NXAST_BUNDLE_LOAD (13): hash the flow's fields and choose one live member port
/// of a list, like a select group without a group table entry. <c>bundle</c> outputs to the chosen port;
/// <c>bundle_load</c> stores its number (16 bits or more) into a field instead.
/// <code>
/// struct nx_action_bundle {
///     ovs_be16 type, len;        /* 0xffff, 32 + members padded to 8 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 12 or 13 */
///     ovs_be16 algorithm;        /* NX_BD_ALG_* */
///     ovs_be16 fields;           /* NX_HASH_FIELDS_* */
///     ovs_be16 basis;            /* universal hash parameter */
///     ovs_be32 member_type;      /* NXM_OF_IN_PORT (0x00000002) */
///     ovs_be16 n_members;
///     ovs_be16 ofs_nbits;        /* bundle_load: (ofs &lt;&lt; 6) | (n_bits - 1); bundle: 0 */
///     ovs_be32 dst;              /* bundle_load: destination field header; bundle: 0 */
///     uint8_t zero[4];
///     /* ovs_be16 members[n_members], zero padding to 8 */
/// };
/// </code>
/// Prints (bundle_format, lib/bundle.c) <c>bundle(eth_src,0,hrw,ofport,members:1,2)</c> or
/// <c>bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[],members:1,2)</c>.
/// </summary>
public sealed record BundleAction(NxHashFields Fields, ushort Basis, NxBundleAlgorithm Algorithm, EquatableArray<ushort> Members, Subfield? Dst = null) : OfpAction
{
    /// <summary>NXM_OF_IN_PORT: the only member type OVS supports (16-bit OpenFlow port numbers).</summary>
    public const uint MemberTypeInPort = 0x00000002;
    /// <summary>BUNDLE_MAX_MEMBERS (lib/bundle.h).</summary>
    public const int MaxMembers = 2048;

    /// <summary>A <c>bundle</c> (output) or, with <paramref name="dst"/>, a <c>bundle_load</c> action.</summary>
    public static BundleAction Create(NxHashFields fields, ushort basis, NxBundleAlgorithm algorithm, IEnumerable<ushort> members, Subfield? dst = null)
    {
        var list = members.ToArray();
        if (list.Length > MaxMembers) throw new ArgumentException($"at most {MaxMembers} members", nameof(members));
        foreach (var p in list)
        {
            if (!ValidMember(p)) throw new ArgumentException($"member {p} is not a port bundle can output to", nameof(members));
        }
        if (dst is { } d)
        {
            NxWire.Require32(d, nameof(dst));
            if (d.NBits < 16) throw new ArgumentException("bundle_load needs a destination of at least 16 bits", nameof(dst));
        }
        return new BundleAction(fields, basis, algorithm, list, dst);
    }

    public bool IsLoad => Dst is not null;

    public override int WireLength => 32 + Pad.To8(2 * Members.Count);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, IsLoad ? NiciraActions.BundleLoad : NiciraActions.Bundle);
        w.WriteU16((ushort)Algorithm);
        w.WriteU16((ushort)Fields);
        w.WriteU16(Basis);
        w.WriteU32(MemberTypeInPort);
        w.WriteU16((ushort)Members.Count);
        if (Dst is { } d)
        {
            w.WriteU16(NxWire.EncodeOfsNbits(d));
            w.WriteU32(d.Ref.Header);
        }
        else
        {
            w.WriteU16(0);
            w.WriteU32(0);
        }
        w.WriteZeros(4);
        foreach (var m in Members) w.WriteU16(m);
        w.PadTo8(start);
    }

    /// <summary>decode_bundle (lib/ofp-actions.c) and bundle_check (lib/bundle.c).</summary>
    internal static BundleAction Read(ushort subtype, ref OfpReader r, int at)
    {
        bool load = subtype == NiciraActions.BundleLoad;
        string name = load ? "bundle_load" : "bundle";
        NxWire.ExpectMinLength(r, 32, name, at);
        ushort algorithm = r.ReadU16($"{name} algorithm");
        ushort fields = r.ReadU16($"{name} fields");
        ushort basis = r.ReadU16($"{name} basis");
        uint memberType = r.ReadU32($"{name} member_type");
        int n = r.ReadU16($"{name} n_members");
        ushort ofsNbits = r.ReadU16($"{name} ofs_nbits");
        uint dstHeader = r.ReadU32($"{name} dst");
        if (r.ReadU32($"{name} zero") != 0)
        {
            throw Bad($"{name}: reserved bytes must be zero", at);
        }
        if (fields > (ushort)NxHashFields.SymmetricL3)
        {
            throw Bad($"{name}: unsupported fields {fields}", at);
        }
        if (n > MaxMembers)
        {
            throw Bad($"{name}: {n} members (at most {MaxMembers})", at);
        }
        if (algorithm > (ushort)NxBundleAlgorithm.Hrw)
        {
            throw Bad($"{name}: unsupported algorithm {algorithm}", at);
        }
        if (memberType != MemberTypeInPort)
        {
            throw Bad($"{name}: unsupported member type 0x{memberType:x8} (must be NXM_OF_IN_PORT)", at);
        }
        Subfield? dst = null;
        if (load)
        {
            var (ofs, nBits) = NxWire.OfsNbits(ofsNbits);
            dst = NxWire.Dst(new FieldRef(dstHeader), ofs, nBits, "bundle_load dst", at);
            if (nBits < 16) throw Bad($"bundle_load: {nBits}-bit destination (at least 16 bits)", at);
        }
        else if (ofsNbits != 0 || dstHeader != 0)
        {
            throw Bad("bundle: ofs_nbits and dst must be zero", at);
        }
        if (r.Remaining != Pad.To8(2 * n))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: {r.Remaining} bytes for {n} members (must be {Pad.To8(2 * n)})", at, "OFPBAC_BAD_LEN");
        }
        var members = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            members[i] = r.ReadU16($"{name} member");
            if (!ValidMember(members[i]))
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: member {OfctlFormat.Port16(members[i])} is not a valid output port", at, "OFPBAC_BAD_OUT_PORT");
            }
        }
        NxWire.Zeros(ref r, r.Remaining, $"{name}: member padding", at);
        return new BundleAction((NxHashFields)fields, basis, (NxBundleAlgorithm)algorithm, members, dst);
    }

    /// <summary>
    /// bundle_check: a physical port (below 0xff00), a reserved port other than CONTROLLER
    /// (IN_PORT, TABLE, NORMAL, FLOOD, ALL, LOCAL), or NONE (0xffff).
    /// </summary>
    private static bool ValidMember(ushort p) => p < 0xff00 || p is (>= 0xfff8 and <= 0xfffe and not 0xfffd) or 0xffff;

    private static OfpProtocolException Bad(string message, int at) => new(OfpErrorKind.BadAction, message, at, "OFPBAC_BAD_ARGUMENT");

    public override void Format(StringBuilder s)
    {
        s.Append(IsLoad ? "bundle_load(" : "bundle(").Append(MultipathAction.FieldsName(Fields)).Append(',').Append(Basis).Append(',')
         .Append(Algorithm switch { NxBundleAlgorithm.Hrw => "hrw", NxBundleAlgorithm.ActiveBackup => "active_backup", _ => "<unknown>" })
         .Append(",ofport,");
        if (Dst is { } d) s.Append(d.ToString()).Append(',');
        s.Append("members:");
        for (int i = 0; i < Members.Count; i++)
        {
            if (i > 0) s.Append(',');
            s.Append(OfctlFormat.Port16(Members[i]));
        }
        s.Append(')');
    }
}
