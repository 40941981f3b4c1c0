namespace OvsLb.OpenFlow.Packets;

/// <summary>EtherType values this library knows (IEEE 802 numbers).</summary>
public static class EtherType
{
    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Rarp = 0x8035;
    public const ushort Vlan = 0x8100;       // IEEE 802.1Q C-tag
    public const ushort QinQ = 0x88a8;       // IEEE 802.1ad S-tag
    public const ushort IPv6 = 0x86dd;
    public const ushort Mpls = 0x8847;
    public const ushort MplsMulticast = 0x8848;
    /// <summary>Smallest EtherType; smaller values in the type/length field are an 802.3 length.</summary>
    public const ushort Min = 0x0600;
    /// <summary>What OVS stores as dl_type for an 802.3 frame without SNAP (FLOW_DL_TYPE_NONE).</summary>
    public const ushort None = 0x05ff;
}

/// <summary>IP protocol numbers (IANA) this library parses.</summary>
public static class IpProtocol
{
    public const byte HopOpts = 0;
    public const byte Icmp = 1;
    public const byte Igmp = 2;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte Ah = 51;
    public const byte Icmpv6 = 58;
    public const byte DstOpts = 60;
    public const byte Sctp = 132;
}

/// <summary>ARP operation codes (RFC 826) that the flow-field parser reports in arp_op.</summary>
public static class ArpOp
{
    public const ushort Request = 1;
    public const ushort Reply = 2;
}

/// <summary>ICMPv6 types (RFC 4443, RFC 4861) whose packets OVS reads further (nd_target and the link-layer options).</summary>
public static class Icmpv6Type
{
    public const byte NeighborSolicitation = 135;
    public const byte NeighborAdvertisement = 136;
}
