using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>nx_hash_fields: which packet fields multipath (and bundle) hash.</summary>
public enum NxHashFields : ushort
{
    EthSrc = 0, SymmetricL4 = 1, SymmetricL3L4 = 2, SymmetricL3L4Udp = 3, NwSrc = 4, NwDst = 5, SymmetricL3 = 6,
}

/// <summary>nx_mp_algorithm: how multipath turns the hash into a link number.</summary>
public enum NxMultipathAlgorithm : ushort
{
    ModuloN = 0, HashThreshold = 1, Hrw = 2, IterHash = 3,
}

/// <summary>
/// NXAST_MULTIPATH (10): hash the flow's fields and store a link number in [0, MaxLink] into a register,
/// a stateless way to spread flows over backends without a select group.
/// <code>
/// struct nx_action_multipath {
///     ovs_be16 type, len;        /* 0xffff, 32 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 10 */
///     ovs_be16 fields;           /* NX_HASH_FIELDS_* */
///     ovs_be16 basis;            /* universal hash parameter */
///     ovs_be16 pad0;
///     ovs_be16 algorithm;        /* NX_MP_ALG_* */
///     ovs_be16 max_link;         /* number of links - 1 */
///     ovs_be32 arg;              /* algorithm argument (iter_hash modulus) */
///     ovs_be16 pad1;
///     ovs_be16 ofs_nbits;        /* (ofs &lt;&lt; 6) | (n_bits - 1) */
///     ovs_be32 dst;              /* destination field header */
/// };
/// </code>
/// Prints (multipath_format, lib/multipath.c) <c>multipath(symmetric_l4,1024,hrw,2,0,NXM_NX_REG0[0..1])</c>:
/// fields, basis, algorithm, number of links, arg, destination.
/// </summary>
public sealed record MultipathAction(NxHashFields Fields, ushort Basis, NxMultipathAlgorithm Algorithm, ushort MaxLink, uint Arg, Subfield Dst) : OfpAction
{
    /// <summary>Builds a multipath action choosing among <paramref name="links"/> (1..65536) links.</summary>
    public static MultipathAction Create(NxHashFields fields, ushort basis, NxMultipathAlgorithm algorithm, int links, uint arg, Subfield dst)
    {
        if (links < 1 || links > 65536) throw new ArgumentOutOfRangeException(nameof(links), links, "n_links must be 1..65536");
        NxWire.Require32(dst, nameof(dst));
        if (dst.NBits < MinBits(links - 1)) throw new ArgumentException($"{dst} has too few bits for {links} links", nameof(dst));
        return new MultipathAction(fields, basis, algorithm, (ushort)(links - 1), arg, dst);
    }

    public override int WireLength => 32;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 32, NiciraActions.Multipath);
        w.WriteU16((ushort)Fields);
        w.WriteU16(Basis);
        w.WriteU16(0);
        w.WriteU16((ushort)Algorithm);
        w.WriteU16(MaxLink);
        w.WriteU32(Arg);
        w.WriteU16(0);
        w.WriteU16(NxWire.EncodeOfsNbits(Dst));
        w.WriteU32(Dst.Ref.Header);
    }

    /// <summary>log_2_ceil(max_link + 1): bits needed to hold every link number.</summary>
    private static int MinBits(int maxLink)
    {
        int n = 0;
        while ((1L << n) < maxLink + 1L) n++;
        return n;
    }

    /// <summary>decode_NXAST_RAW_MULTIPATH (lib/ofp-actions.c) and multipath_check (lib/multipath.c).</summary>
    internal static MultipathAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 32, "multipath", at);
        ushort fields = r.ReadU16("multipath fields");
        ushort basis = r.ReadU16("multipath basis");
        NxWire.Zeros(ref r, 2, "multipath: pad0", at);
        ushort algorithm = r.ReadU16("multipath algorithm");
        ushort maxLink = r.ReadU16("multipath max_link");
        uint arg = r.ReadU32("multipath arg");
        NxWire.Zeros(ref r, 2, "multipath: pad1", at);
        var (ofs, nBits) = NxWire.OfsNbits(r.ReadU16("multipath ofs_nbits"));
        var dstRef = NxWire.ReadHeader32(ref r, "multipath dst");
        if (fields > (ushort)NxHashFields.SymmetricL3)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"multipath: unsupported fields {fields}", at);
        }
        if (algorithm > (ushort)NxMultipathAlgorithm.IterHash)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"multipath: unsupported algorithm {algorithm}", at);
        }
        if (nBits < MinBits(maxLink))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"multipath: {nBits}-bit destination cannot hold {maxLink + 1} links", at);
        }
        var dst = NxWire.Dst(dstRef, ofs, nBits, "multipath dst", at);
        return new MultipathAction((NxHashFields)fields, basis, (NxMultipathAlgorithm)algorithm, maxLink, arg, dst);
    }

    public static string FieldsName(NxHashFields f) => f switch
    {
        NxHashFields.EthSrc => "eth_src",
        NxHashFields.SymmetricL4 => "symmetric_l4",
        NxHashFields.SymmetricL3L4 => "symmetric_l3l4",
        NxHashFields.SymmetricL3L4Udp => "symmetric_l3l4+udp",
        NxHashFields.NwSrc => "nw_src",
        NxHashFields.NwDst => "nw_dst",
        NxHashFields.SymmetricL3 => "symmetric_l3",
        _ => "<unknown>",
    };

    public override void Format(StringBuilder s)
    {
        string alg = Algorithm switch
        {
            NxMultipathAlgorithm.ModuloN => "modulo_n",
            NxMultipathAlgorithm.HashThreshold => "hash_threshold",
            NxMultipathAlgorithm.Hrw => "hrw",
            NxMultipathAlgorithm.IterHash => "iter_hash",
            _ => "<unknown>",
        };
        s.Append("multipath(").Append(FieldsName(Fields)).Append(',').Append(Basis).Append(',').Append(alg)
         .Append(',').Append(MaxLink + 1).Append(',').Append(Arg).Append(',').Append(Dst.ToString()).Append(')');
    }
}
