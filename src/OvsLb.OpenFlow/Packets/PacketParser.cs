using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>
/// Allocation-free header parser that follows Open vSwitch 3.1's miniflow_extract (lib/flow.c)
/// step by step, so that what it reports (and what it leaves zero) is what OVS would put in a flow
/// for the same bytes: it never throws, and stops where the data stops.
/// <code>
/// Ethernet II / 802.1Q:                          ARP (RFC 826), Ethernet + IPv4 only:
///  +--------+--------+[-----+-----]...+------+     +-----+-----+-----+-----+----+
///  | dst(6) | src(6) |[TPID | TCI ]x2 | type |     | hrd | pro | hln | pln | op |  sha(6) spa(4) tha(6) tpa(4)
///  +--------+--------+[-----+-----]...+------+     +-----+-----+-----+-----+----+
/// IPv4 (RFC 791): ver/ihl tos tot_len id frag_off ttl proto csum src dst [options]
/// IPv6 (RFC 8200): ver/tc/flow(4) plen(2) nxt hlim src(16) dst(16) [ext headers]
/// TCP: sport dport seq ack off/flags win csum urg; UDP: sport dport len csum
/// ICMP: type code csum ...; ICMPv6 ND (RFC 4861): type code csum rso(4) target(16) options(8n)
/// </code>
/// </summary>
public static class PacketParser
{
    /// <summary>VLAN tags OVS parses (FLOW_MAX_VLAN_HEADERS).</summary>
    public const int MaxVlanHeaders = 2;
    public const int MaxMplsLabels = 3;

    public static ParsedPacket Parse(ReadOnlySpan<byte> frame)
    {
        var p = new ParsedPacket { FrameLength = frame.Length, L3Offset = -1, L4Offset = -1 };
        if (frame.Length < 14) return p;

        p = p with { Layers = PacketLayers.Ethernet, EthDst = MacAddress.Read(frame), EthSrc = MacAddress.Read(frame[6..]) };
        int pos = 12;

        // parse_vlan: up to two 802.1Q/802.1ad tags, each needing its 4 bytes plus a following type.
        for (int n = 0; n < MaxVlanHeaders; n++)
        {
            ushort tpid = U16(frame, pos);
            if ((tpid != EtherType.Vlan && tpid != EtherType.QinQ) || frame.Length - pos < 6) break;
            var tag = new VlanTag(tpid, U16(frame, pos + 2));
            p = n == 0 ? p with { Vlan0 = tag, VlanCount = 1 } : p with { Vlan1 = tag, VlanCount = 2 };
            pos += 4;
        }

        // parse_ethertype: an 802.3 length is followed by LLC/SNAP carrying the type, or by nothing OVS knows.
        ushort type = U16(frame, pos);
        pos += 2;
        if (type < EtherType.Min)
        {
            type = EtherType.None;
            var llc = frame[pos..];
            if (llc.Length >= 8 && llc[0] == 0xaa && llc[1] == 0xaa && llc[2] == 0x03 && llc[3] == 0 && llc[4] == 0 && llc[5] == 0)
            {
                ushort snap = U16(llc, 6);
                pos += 8;
                if (snap >= EtherType.Min) type = snap;
            }
        }
        p = p with { EthType = type };

        if (type is EtherType.Mpls or EtherType.MplsMulticast)
        {
            int count = 0;
            while (frame.Length - pos >= 4)
            {
                uint lse = BinaryPrimitives.ReadUInt32BigEndian(frame[pos..]);
                pos += 4;
                if (count < MaxMplsLabels)
                {
                    p = count switch { 0 => p with { MplsLse0 = lse }, 1 => p with { MplsLse1 = lse }, _ => p with { MplsLse2 = lse } };
                }
                count++;
                if ((lse & 0x100) != 0) break;
            }
            p = p with { MplsCount = Math.Min(count, MaxMplsLabels) };
        }

        p = p with { L3Offset = pos };
        int size = frame.Length - pos;
        byte proto, tos, ttl;
        var frag = IpFragment.None;

        if (type == EtherType.IPv4)
        {
            // ipv4_sanity_check; note OVS does not look at the version nibble.
            if (size < 20) return p;
            int ihl = (frame[pos] & 0x0f) * 4;
            if (ihl < 20 || size < ihl) return p;
            int totLen = U16(frame, pos + 2);
            if (totLen > size || ihl > totLen || size - totLen > ushort.MaxValue) return p;
            size = totLen;
            var ip = frame.Slice(pos, ihl);
            p = p with { NwSrc = Ipv4Address.Read(ip[12..]), NwDst = Ipv4Address.Read(ip[16..]) };
            tos = ip[1];
            ttl = ip[8];
            proto = ip[9];
            ushort fragOff = U16(ip, 6);
            if ((fragOff & 0x3fff) != 0) frag = (fragOff & 0x1fff) != 0 ? IpFragment.Any | IpFragment.Later : IpFragment.Any;
            pos += ihl;
            size -= ihl;
        }
        else if (type == EtherType.IPv6)
        {
            if (size < 40) return p;
            int plen = U16(frame, pos + 4);
            if (plen + 40 > size || size - (plen + 40) > ushort.MaxValue) return p;
            var ip = frame.Slice(pos, 40);
            pos += 40;
            size = plen;
            p = p with { Ipv6Src = Ipv6Address.Read(ip[8..]), Ipv6Dst = Ipv6Address.Read(ip[24..]) };
            uint tcFlow = BinaryPrimitives.ReadUInt32BigEndian(ip);
            tos = (byte)(tcFlow >> 20);
            ttl = ip[7];
            proto = ip[6];
            if (!SkipIpv6Extensions(frame, ref pos, ref size, ref proto, ref frag)) return p;
            p = p with { Ipv6Label = tcFlow & 0xfffff };
        }
        else
        {
            if (type is EtherType.Arp or EtherType.Rarp && size >= 28)
            {
                var arp = frame.Slice(pos, 28);
                if (U16(arp, 0) == 1 && U16(arp, 2) == EtherType.IPv4 && arp[4] == 6 && arp[5] == 4)
                {
                    ushort op = U16(arp, 6);
                    p = p with
                    {
                        Layers = p.Layers | PacketLayers.Network,
                        ArpOp = op,
                        NwProto = op <= 0xff ? (byte)op : (byte)0,
                        ArpSha = MacAddress.Read(arp[8..]),
                        NwSrc = Ipv4Address.Read(arp[14..]),
                        ArpTha = MacAddress.Read(arp[18..]),
                        NwDst = Ipv4Address.Read(arp[24..]),
                    };
                }
            }
            return p;
        }

        p = p with
        {
            Layers = p.Layers | PacketLayers.Network,
            L4Offset = pos,
            L4Length = size,
            NwProto = proto,
            NwTos = tos,
            NwTtl = ttl,
            NwFrag = frag,
        };
        if ((frag & IpFragment.Later) != 0) return p;
        return ParseTransport(p, frame.Slice(pos, size));
    }

    private static ParsedPacket ParseTransport(ParsedPacket p, ReadOnlySpan<byte> l4)
    {
        var t = p.Layers | PacketLayers.Transport;
        switch (p.NwProto)
        {
            case IpProtocol.Tcp when l4.Length >= 20:
                {
                    int hdr = (l4[12] >> 4) * 4;
                    if (hdr < 20 || l4.Length < hdr) return p;
                    return p with { Layers = t, TpSrc = U16(l4, 0), TpDst = U16(l4, 2), TcpFlags = (ushort)(U16(l4, 12) & 0x0fff) };
                }
            case IpProtocol.Udp when l4.Length >= 8:
            case IpProtocol.Sctp when l4.Length >= 12:
                return p with { Layers = t, TpSrc = U16(l4, 0), TpDst = U16(l4, 2) };
            case IpProtocol.Icmp when l4.Length >= 8:
                return p with { Layers = t, TpSrc = l4[0], TpDst = l4[1] };
            case IpProtocol.Igmp when l4.Length >= 8:
                return p with { Layers = t, TpSrc = l4[0], TpDst = l4[1], IgmpGroup = BinaryPrimitives.ReadUInt32BigEndian(l4[4..]) };
            case IpProtocol.Icmpv6 when l4.Length >= 8:
                p = p with { Layers = t, TpSrc = l4[0], TpDst = l4[1] };
                return l4[1] == 0 && l4[0] is Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement ? ParseNd(p, l4) : p;
            default:
                return p;
        }
    }

    /// <summary>parse_icmpv6: target address and the source/target link-layer address options (RFC 4861 §4.3, §4.4, §4.6.1).</summary>
    private static ParsedPacket ParseNd(ParsedPacket p, ReadOnlySpan<byte> icmp)
    {
        p = p with { NdReserved = BinaryPrimitives.ReadUInt32BigEndian(icmp[4..]) };
        var rest = icmp[8..];
        if (rest.Length < 16) return p;
        var target = Ipv6Address.Read(rest);
        rest = rest[16..];
        ulong sll = 0, tll = 0;
        byte optType = 0;
        while (rest.Length >= 8)
        {
            int optLen = rest[1] * 8;
            if (optLen == 0 || optLen > rest.Length) break;
            if (optLen == 8 && rest[0] is 1 or 2)
            {
                ref ulong slot = ref rest[0] == 1 ? ref sll : ref tll;
                if (slot != 0)
                {
                    // The same link-layer option twice: OVS drops the target and both addresses.
                    return p with { NdOptionsType = optType };
                }
                slot = MacAddress.Read(rest[2..]).Value;
                if (optType == 0) optType = rest[0];
            }
            rest = rest[optLen..];
        }
        return p with
        {
            Layers = p.Layers | PacketLayers.NdTarget,
            NdTarget = target,
            ArpSha = new MacAddress(sll),
            ArpTha = new MacAddress(tll),
            NdOptionsType = optType,
        };
    }

    /// <summary>parse_ipv6_ext_hdrs__: walks hop-by-hop, routing, destination, AH and fragment headers.</summary>
    private static bool SkipIpv6Extensions(ReadOnlySpan<byte> frame, ref int pos, ref int size, ref byte proto, ref IpFragment frag)
    {
        while (true)
        {
            if (proto is not (IpProtocol.HopOpts or IpProtocol.Routing or IpProtocol.DstOpts or IpProtocol.Ah or IpProtocol.Fragment)) return true;
            if (size < 8) return false;
            var ext = frame.Slice(pos, 8);
            int len;
            if (proto == IpProtocol.Fragment)
            {
                proto = ext[0];
                pos += 8;
                size -= 8;
                ushort offlg = U16(ext, 2);
                if (offlg != 0)
                {
                    frag = IpFragment.Any;
                    if ((offlg & 0xfff8) != 0)
                    {
                        frag |= IpFragment.Later;
                        proto = IpProtocol.Fragment;
                        return true;
                    }
                }
                continue;
            }
            len = proto == IpProtocol.Ah ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
            proto = ext[0];
            if (len > size) return false;
            pos += len;
            size -= len;
        }
    }

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
}
