using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Text;

namespace OvsLb.OpenFlow.Packets;

/// <summary>A 48-bit Ethernet address held in the low bits of a <see cref="ulong"/> (first octet most significant).</summary>
public readonly record struct MacAddress(ulong Value)
{
    public static readonly MacAddress Zero = new(0);
    public static readonly MacAddress Broadcast = new(0xffff_ffff_ffff);

    public bool IsBroadcast => Value == Broadcast.Value;
    /// <summary>The group bit (least significant bit of the first octet).</summary>
    public bool IsMulticast => ((Value >> 40) & 1) != 0;

    public static MacAddress Read(ReadOnlySpan<byte> s) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(s) << 32) | BinaryPrimitives.ReadUInt32BigEndian(s[2..]));

    public void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(d[2..], (uint)Value);
    }

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (or with '-').</summary>
    public static MacAddress Parse(string s)
    {
        if (s.Length != 17) throw new FormatException($"'{s}' is not a MAC address");
        ulong v = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && s[i * 3 - 1] is not (':' or '-')) throw new FormatException($"'{s}' is not a MAC address");
            v = (v << 8) | byte.Parse(s.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        return new MacAddress(v);
    }

    /// <summary>The Ethernet address IPv6 multicast maps to (RFC 2464 §7): 33:33 and the group's low 32 bits.</summary>
    public static MacAddress ForIpv6Multicast(Ipv6Address group) => new(0x3333_0000_0000UL | (uint)group.Value);

    public override string ToString() => OfctlFormat.Mac(Value);
}

/// <summary>An IPv4 address in host order (first octet most significant).</summary>
public readonly record struct Ipv4Address(uint Value)
{
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(uint.MaxValue);

    public static Ipv4Address Read(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt32BigEndian(s));
    public void Write(Span<byte> d) => BinaryPrimitives.WriteUInt32BigEndian(d, Value);

    public static Ipv4Address Parse(string s)
    {
        var a = IPAddress.Parse(s);
        if (a.AddressFamily != AddressFamily.InterNetwork) throw new FormatException($"'{s}' is not an IPv4 address");
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return Read(b);
    }

    public override string ToString() => OfctlFormat.IPv4(Value);
}

/// <summary>An IPv6 address as a 128-bit number (first octet most significant).</summary>
public readonly record struct Ipv6Address(UInt128 Value)
{
    public static readonly Ipv6Address Any = new(UInt128.Zero);

    /// <summary>ff02::1, all nodes on the link.</summary>
    public static readonly Ipv6Address AllNodes = new(new UInt128(0xff02_0000_0000_0000, 1));

    public static Ipv6Address Read(ReadOnlySpan<byte> s) =>
        new(new UInt128(BinaryPrimitives.ReadUInt64BigEndian(s), BinaryPrimitives.ReadUInt64BigEndian(s[8..])));

    public void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt64BigEndian(d, (ulong)(Value >> 64));
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], (ulong)Value);
    }

    /// <summary>ff02::1:ffXX:XXXX, the solicited-node multicast group of an address (RFC 4291 §2.7.1).</summary>
    public Ipv6Address SolicitedNode => new(new UInt128(0xff02_0000_0000_0000, 0x0000_0001_ff00_0000UL | ((ulong)Value & 0xff_ffff)));

    public static Ipv6Address Parse(string s)
    {
        var a = IPAddress.Parse(s);
        if (a.AddressFamily != AddressFamily.InterNetworkV6) throw new FormatException($"'{s}' is not an IPv6 address");
        Span<byte> b = stackalloc byte[16];
        a.TryWriteBytes(b, out _);
        return Read(b);
    }

    public override string ToString() => OfctlFormat.IPv6(Value);
}
