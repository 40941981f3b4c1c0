using System.Net;
using System.Net.NetworkInformation;
using Ipv4Address = OvsLb.OpenFlow.Packets.Ipv4Address;
using MacAddress = OvsLb.OpenFlow.Packets.MacAddress;

namespace OvsLb.Balancer;

/// <summary>
/// Our address types (what configuration, flows and logs use) to and from PacketDotNet's (.NET's
/// <see cref="PhysicalAddress"/> and <see cref="IPAddress"/>), for the packets the Balancer builds and reads.
/// </summary>
internal static class PacketAddresses
{
    public static PhysicalAddress ToPhysical(MacAddress m)
    {
        var b = new byte[6];
        m.Write(b);
        return new PhysicalAddress(b);
    }

    public static IPAddress ToIp(Ipv4Address a)
    {
        var b = new byte[4];
        a.Write(b);
        return new IPAddress(b);
    }

    /// <summary>The MAC in <paramref name="p"/>; it must be 6 bytes.</summary>
    public static MacAddress ToMac(PhysicalAddress p) => MacAddress.Read(p.GetAddressBytes());

    /// <summary>The IPv4 address in <paramref name="a"/>; it must be IPv4.</summary>
    public static Ipv4Address ToIpv4(IPAddress a) => Ipv4Address.Read(a.GetAddressBytes());
}
