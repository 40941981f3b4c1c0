using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>Port administrative configuration bits (OpenFlow 1.3.5 §7.2.1, enum ofp_port_config).</summary>
[Flags]
public enum PortConfig : uint
{
    None = 0,
    PortDown = 1 << 0,
    NoRecv = 1 << 2,
    NoFwd = 1 << 5,
    NoPacketIn = 1 << 6,
}

/// <summary>Port state bits (OpenFlow 1.3.5 §7.2.1, enum ofp_port_state).</summary>
[Flags]
public enum PortState : uint
{
    None = 0,
    LinkDown = 1 << 0,
    Blocked = 1 << 1,
    Live = 1 << 2,
}

/// <summary>Port feature bits: speeds, medium, autonegotiation (OpenFlow 1.3.5 §7.2.1, enum ofp_port_features).</summary>
[Flags]
public enum PortFeatures : uint
{
    None = 0,
    F10MbHd = 1 << 0, F10MbFd = 1 << 1, F100MbHd = 1 << 2, F100MbFd = 1 << 3, F1GbHd = 1 << 4, F1GbFd = 1 << 5,
    F10GbFd = 1 << 6, F40GbFd = 1 << 7, F100GbFd = 1 << 8, F1TbFd = 1 << 9, Other = 1 << 10,
    Copper = 1 << 11, Fiber = 1 << 12, Autoneg = 1 << 13, Pause = 1 << 14, PauseAsym = 1 << 15,
}

/// <summary>
/// A switch port (OpenFlow 1.3.5 §7.2.1), as carried by PORT_STATUS and the PORT_DESC multipart reply.
/// The controller learns port numbers, names and liveness (state LIVE / LINK_DOWN, config PORT_DOWN)
/// from it. Speeds are in kbps.
/// <code>
/// struct ofp_port {
///     uint32_t port_no; uint8_t pad[4];
///     uint8_t hw_addr[6]; uint8_t pad2[2];
///     char name[16];                     /* NUL-padded */
///     uint32_t config, state;
///     uint32_t curr, advertised, supported, peer;
///     uint32_t curr_speed, max_speed;    /* kbps */
/// };                                     /* 64 bytes */
/// </code>
/// </summary>
public sealed record PortDescription
{
    public const int WireLength = 64;
    public const int NameLength = 16;

    public uint PortNo { get; init; }
    /// <summary>The 48-bit MAC address in the low bits.</summary>
    public ulong HwAddr { get; init; }
    public string Name { get; init; } = "";
    public PortConfig Config { get; init; }
    public PortState State { get; init; }
    public PortFeatures Curr { get; init; }
    public PortFeatures Advertised { get; init; }
    public PortFeatures Supported { get; init; }
    public PortFeatures Peer { get; init; }
    public uint CurrSpeed { get; init; }
    public uint MaxSpeed { get; init; }

    /// <summary>
    /// Usable for forwarding: not administratively down, link up, and LIVE. OVS (ofproto-dpif, every
    /// datapath) sets LIVE on each port it may forward to (veth, internal, LOCAL, patch, tunnel, dummy
    /// ports alike) and clears it first when it may not: a link going down sends one PORT_STATUS with
    /// only LIVE cleared, then one with LINK_DOWN (OVS 3.1, seen on the wire), and a port being added is
    /// announced without LIVE until OVS enables it a moment later (also a CFM/BFD/LACP fault clears only
    /// LIVE). Without LIVE the first message of a link down read as "up".
    /// A switch that never set LIVE would show every port down here; the controller speaks to OVS only.
    /// </summary>
    public bool IsUp => (Config & PortConfig.PortDown) == 0 && (State & (PortState.LinkDown | PortState.Live)) == PortState.Live;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteZeros(4);
        WriteMac(ref w, HwAddr);
        w.WriteZeros(2);
        WriteName(ref w, Name, NameLength);
        w.WriteU32((uint)Config);
        w.WriteU32((uint)State);
        w.WriteU32((uint)Curr);
        w.WriteU32((uint)Advertised);
        w.WriteU32((uint)Supported);
        w.WriteU32((uint)Peer);
        w.WriteU32(CurrSpeed);
        w.WriteU32(MaxSpeed);
    }

    internal static PortDescription Read(ref OfpReader r)
    {
        if (r.Remaining < WireLength)
        {
            throw r.Error(OfpErrorKind.Truncated, $"port description needs {WireLength} bytes, {r.Remaining} left");
        }
        uint portNo = r.ReadU32("port_no");
        r.Skip(4);
        ulong mac = ReadMac(ref r);
        r.Skip(2);
        return new PortDescription
        {
            PortNo = portNo,
            HwAddr = mac,
            Name = ReadName(ref r, NameLength),
            Config = (PortConfig)r.ReadU32("port config"),
            State = (PortState)r.ReadU32("port state"),
            Curr = (PortFeatures)r.ReadU32("port curr"),
            Advertised = (PortFeatures)r.ReadU32("port advertised"),
            Supported = (PortFeatures)r.ReadU32("port supported"),
            Peer = (PortFeatures)r.ReadU32("port peer"),
            CurrSpeed = r.ReadU32("port curr_speed"),
            MaxSpeed = r.ReadU32("port max_speed"),
        };
    }

    internal static ulong ReadMac(ref OfpReader r)
    {
        ulong hi = r.ReadU16("hw_addr");
        return (hi << 32) | r.ReadU32("hw_addr");
    }

    internal static void WriteMac(ref OfpWriter w, ulong mac)
    {
        w.WriteU16((ushort)(mac >> 32));
        w.WriteU32((uint)mac);
    }

    /// <summary>A NUL-padded name field; characters up to the first NUL (all of them if none).</summary>
    internal static string ReadName(ref OfpReader r, int n)
    {
        var span = r.ReadMemory(n, "name").Span;
        int len = span.IndexOf((byte)0);
        if (len < 0) len = span.Length;
        return Encoding.Latin1.GetString(span[..len]);
    }

    /// <summary>Writes up to <paramref name="n"/> characters, NUL-padded (a full-width name has no NUL, as received).</summary>
    internal static void WriteName(ref OfpWriter w, string name, int n)
    {
        int len = Math.Min(name.Length, n);
        for (int i = 0; i < len; i++) w.WriteU8((byte)name[i]);
        w.WriteZeros(n - len);
    }

    /// <summary>The port number in OVS's 16-bit space: reserved OF1.1+ numbers fold down to 0xff00+ (sort key of PORT_DESC).</summary>
    internal static uint Ofp10Port(uint port) => port >= 0xffffff00 ? port - 0xffff0000 : port;

    private static readonly string[] ConfigNames = ["PORT_DOWN", "NO_STP", "NO_RECV", "NO_RECV_STP", "NO_FLOOD", "NO_FWD", "NO_PACKET_IN"];
    private static readonly string[] StateNames = ["LINK_DOWN", "BLOCKED", "LIVE"];
    private static readonly string[] FeatureNames =
    [
        "10MB-HD", "10MB-FD", "100MB-HD", "100MB-FD", "1GB-HD", "1GB-FD", "10GB-FD", "40GB-FD", "100GB-FD", "1TB-FD",
        "OTHER", "COPPER", "FIBER", "AUTO_NEG", "AUTO_PAUSE", "AUTO_PAUSE_ASYM",
    ];

    /// <summary>Config bits OVS keeps from an OpenFlow 1.1+ message (OFPPC11_ALL).</summary>
    internal const uint Ofp11ConfigBits = 0x65;

    /// <summary>ofputil_port_config_format: names of the OF1.1+ config bits, "0" if none.</summary>
    internal static void FormatConfig(StringBuilder s, uint config) =>
        StatsFormat.BitNames(s, config & Ofp11ConfigBits, i => i < ConfigNames.Length ? ConfigNames[i] : null);

    /// <summary>netdev_features_format: names of the 16 feature bits OVS keeps.</summary>
    internal static void FormatFeatures(StringBuilder s, uint features) =>
        StatsFormat.BitNames(s, features & 0xffff, i => i < FeatureNames.Length ? FeatureNames[i] : null);

    /// <summary>
    /// ofputil_phy_port_format: <c> 1(p1): addr:aa:55:aa:55:00:02</c>, then indented config, state,
    /// the non-zero feature sets and the speeds in Mbps, one per line.
    /// </summary>
    public void Format(StringBuilder s)
    {
        s.Append(' ').Append(OfctlFormat.Port(PortNo)).Append('(');
        // OVS copies the name into a 16-byte C string and cuts it at the first unprintable character.
        for (int i = 0; i < Name.Length && i < NameLength - 1 && Name[i] is >= ' ' and <= '~'; i++) s.Append(Name[i]);
        s.Append("): addr:").Append(OfctlFormat.Mac(HwAddr)).Append('\n');
        s.Append("     config:     ");
        FormatConfig(s, (uint)Config);
        s.Append('\n');
        s.Append("     state:      ");
        StatsFormat.BitNames(s, (uint)State & 7, i => StateNames[i]);
        s.Append('\n');
        FeatureLine(s, "     current:    ", (uint)Curr);
        FeatureLine(s, "     advertised: ", (uint)Advertised);
        FeatureLine(s, "     supported:  ", (uint)Supported);
        FeatureLine(s, "     peer:       ", (uint)Peer);
        s.Append("     speed: ").Append(CurrSpeed / 1000).Append(" Mbps now, ").Append(MaxSpeed / 1000).Append(" Mbps max\n");
    }

    private static void FeatureLine(StringBuilder s, string label, uint features)
    {
        if ((features & 0xffff) == 0) return;
        s.Append(label);
        FormatFeatures(s, features);
        s.Append('\n');
    }
}
