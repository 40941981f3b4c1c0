namespace OvsLb.OpenFlow.Packets;

/// <summary>One 802.1Q/802.1ad tag: the TPID it was introduced by and its TCI (PCP:3, DEI:1, VID:12).</summary>
public readonly record struct VlanTag(ushort Tpid, ushort Tci)
{
    public ushort Vid => (ushort)(Tci & 0x0fff);
    public byte Pcp => (byte)(Tci >> 13);

    /// <summary>A customer tag (TPID 0x8100) with the given VLAN id and priority.</summary>
    public static VlanTag Dot1Q(ushort vid, byte pcp = 0) => new(EtherType.Vlan, (ushort)((pcp << 13) | (vid & 0x0fff)));
}

/// <summary>Which layers <see cref="PacketParser"/> could read completely.</summary>
[Flags]
public enum PacketLayers
{
    None = 0,
    /// <summary>A whole Ethernet header (14 bytes).</summary>
    Ethernet = 1,
    /// <summary>An IPv4/IPv6 header that passed OVS's sanity checks, or a well-formed Ethernet/IPv4 ARP body.</summary>
    Network = 2,
    /// <summary>The transport header (TCP/UDP/SCTP ports, ICMP/IGMP type and code) was present.</summary>
    Transport = 4,
    /// <summary>An ICMPv6 neighbor solicitation/advertisement with a complete target address.</summary>
    NdTarget = 8,
}

/// <summary>IP fragment flags as OVS keeps them (FLOW_NW_FRAG_*).</summary>
[Flags]
public enum IpFragment : byte
{
    None = 0,
    /// <summary>The packet is a fragment.</summary>
    Any = 1,
    /// <summary>A fragment other than the first (no transport header).</summary>
    Later = 2,
}

/// <summary>
/// The header fields of one Ethernet frame, as Open vSwitch's flow_extract (lib/flow.c
/// miniflow_extract) would see them. Fields the frame is too short (or too garbled) to contain
/// are zero, exactly where OVS stops: see <see cref="Layers"/> for what was read. Field meanings
/// follow OVS's struct flow: <see cref="NwProto"/> holds the low byte of the ARP opcode for ARP,
/// <see cref="TpSrc"/>/<see cref="TpDst"/> hold the ICMP/ICMPv6/IGMP type and code, and
/// <see cref="ArpSha"/>/<see cref="ArpTha"/> hold the ND source/target link-layer addresses.
/// </summary>
public readonly record struct ParsedPacket
{
    /// <summary>Bytes in the frame as given.</summary>
    public int FrameLength { get; init; }
    public PacketLayers Layers { get; init; }

    public MacAddress EthDst { get; init; }
    public MacAddress EthSrc { get; init; }
    /// <summary>Number of VLAN tags read (0..2, OVS's flow_vlan_limit).</summary>
    public int VlanCount { get; init; }
    /// <summary>Outermost tag, when <see cref="VlanCount"/> ≥ 1.</summary>
    public VlanTag Vlan0 { get; init; }
    /// <summary>Second tag, when <see cref="VlanCount"/> = 2.</summary>
    public VlanTag Vlan1 { get; init; }
    /// <summary>The (inner) EtherType; <see cref="EtherType.None"/> for 802.3 without SNAP, 0 when the frame has no Ethernet header.</summary>
    public ushort EthType { get; init; }

    /// <summary>MPLS label stack entries read (up to 3).</summary>
    public int MplsCount { get; init; }
    public uint MplsLse0 { get; init; }
    public uint MplsLse1 { get; init; }
    public uint MplsLse2 { get; init; }

    /// <summary>IPv4 source, or the ARP sender protocol address.</summary>
    public Ipv4Address NwSrc { get; init; }
    /// <summary>IPv4 destination, or the ARP target protocol address.</summary>
    public Ipv4Address NwDst { get; init; }
    public Ipv6Address Ipv6Src { get; init; }
    public Ipv6Address Ipv6Dst { get; init; }
    public uint Ipv6Label { get; init; }
    /// <summary>IP protocol / last IPv6 next header (44 for a later IPv6 fragment), or the ARP opcode when it fits a byte.</summary>
    public byte NwProto { get; init; }
    /// <summary>IPv4 TOS / IPv6 traffic class (DSCP and ECN).</summary>
    public byte NwTos { get; init; }
    public byte NwTtl { get; init; }
    public IpFragment NwFrag { get; init; }

    /// <summary>The full 16-bit ARP opcode (1 request, 2 reply).</summary>
    public ushort ArpOp { get; init; }
    public MacAddress ArpSha { get; init; }
    public MacAddress ArpTha { get; init; }

    public ushort TpSrc { get; init; }
    public ushort TpDst { get; init; }
    /// <summary>TCP flags (the low 12 bits of the data-offset/flags word).</summary>
    public ushort TcpFlags { get; init; }
    public Ipv6Address NdTarget { get; init; }
    /// <summary>The 32 bits after the ICMPv6 ND header (R/S/O flags and reserved).</summary>
    public uint NdReserved { get; init; }
    /// <summary>Type of the first link-layer address option in an ND message (1 or 2), else 0.</summary>
    public byte NdOptionsType { get; init; }
    public uint IgmpGroup { get; init; }

    /// <summary>Offset of the network header (after VLAN tags/MPLS), or -1 when the frame has no Ethernet header.</summary>
    public int L3Offset { get; init; }
    /// <summary>Offset of the transport header (after IPv4 options / IPv6 extension headers), or -1.</summary>
    public int L4Offset { get; init; }
    /// <summary>Transport bytes covered by the IP length (link-layer padding excluded), 0 when <see cref="L4Offset"/> is -1.</summary>
    public int L4Length { get; init; }

    public bool IsArp => EthType is EtherType.Arp or EtherType.Rarp;
    public bool IsIPv4 => EthType == EtherType.IPv4;
    public bool IsIPv6 => EthType == EtherType.IPv6;

    public Ipv4Address ArpSpa => NwSrc;
    public Ipv4Address ArpTpa => NwDst;
    public MacAddress NdSll => ArpSha;
    public MacAddress NdTll => ArpTha;
    public byte IcmpType => (byte)TpSrc;
    public byte IcmpCode => (byte)TpDst;

    /// <summary>The transport header and payload (TCP segment, UDP datagram, ICMP message), or empty.</summary>
    public ReadOnlySpan<byte> L4(ReadOnlySpan<byte> frame) =>
        L4Offset < 0 || L4Offset + L4Length > frame.Length ? default : frame.Slice(L4Offset, L4Length);

    /// <summary>Parses a frame; never throws.</summary>
    public static ParsedPacket Parse(ReadOnlySpan<byte> frame) => PacketParser.Parse(frame);
}
