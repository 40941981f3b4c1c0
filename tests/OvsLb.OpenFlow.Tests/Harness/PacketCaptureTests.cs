using System.Net;
using System.Net.Sockets;
using OvsLb.Testing;
using PacketDotNet;

namespace OvsLb.OpenFlow.Tests.Harness;

/// <summary>
/// The harness's live capture (SharpPcap on an interface inside a test namespace): it sees the namespace's
/// own frames, filtered by BPF, as typed packets; the handle is opened from inside the namespace without
/// leaving a thread there, and disposing closes it (no packet socket left open).
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public class PacketCaptureTests
{
    private NetNamespace _ns = null!;

    [SetUp]
    public void SetUp() => _ns = NetNamespace.Create("pc-cap-" + Guid.NewGuid().ToString("N")[..6]);

    [TearDown]
    public void TearDown() => _ns.Dispose();

    [Test]
    public void Captures_the_namespaces_own_filtered_frames_as_typed_packets_and_closes_its_handle()
    {
        int socketsBefore = PacketSockets();
        IReadOnlyList<EthernetPacket> seen;
        using (var capture = PacketCapture.Start(_ns, "lo", "udp and dst port 5555", count: 3))
        {
            Assert.That(PacketSockets(), Is.EqualTo(socketsBefore + 1), "one packet socket while capturing");
            _ns.Run(() =>
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
                for (int i = 0; i < 5; i++)
                {
                    udp.SendTo([1, 2, 3], new IPEndPoint(IPAddress.Loopback, 5556));   // filtered out
                    udp.SendTo([1, 2, 3], new IPEndPoint(IPAddress.Loopback, 5555));
                }
                return 0;
            });
            Assert.That(capture.WaitForCount(TimeSpan.FromSeconds(5)), Is.True, capture.Output());
            seen = capture.Packets;
        }
        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Count.EqualTo(3), "the count bounds what is kept");
            Assert.That(seen, Has.All.Matches<EthernetPacket>(p =>
                p.Ipv4()!.DestinationAddress.Is("127.0.0.1") && p.PayloadPacket.PayloadPacket is UdpPacket { DestinationPort: 5555 }));
            Assert.That(PacketSockets(), Is.EqualTo(socketsBefore), "disposing closed the pcap handle");
        });
    }

    [Test]
    public void A_bad_filter_or_interface_is_a_clear_error_and_leaves_no_handle_open()
    {
        int socketsBefore = PacketSockets();
        var badFilter = Assert.Throws<InvalidOperationException>(() => PacketCapture.Start(_ns, "lo", "tcp port nonsense"))!;
        var noIface = Assert.Throws<InvalidOperationException>(() => PacketCapture.Start(_ns, "pc-none0", "tcp"))!;
        Assert.Multiple(() =>
        {
            Assert.That(badFilter.Message, Does.StartWith($"libpcap could not capture on lo in {_ns.Name} (filter 'tcp port nonsense')"));
            Assert.That(noIface.Message, Is.EqualTo($"no interface pc-none0 in {_ns.Name} (filter 'tcp') for libpcap to open"));
            Assert.That(PacketSockets(), Is.EqualTo(socketsBefore));
        });
    }

    /// <summary>The AF_PACKET sockets this process holds (libpcap's capture handles), from /proc/self/net/packet's inodes.</summary>
    private int PacketSockets()
    {
        // /proc/self/net is the namespace of the reading thread: read the test namespace's table from inside it.
        var inodes = _ns.Run(() => File.ReadLines("/proc/thread-self/net/packet").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToHashSet());
        return Directory.EnumerateFiles("/proc/self/fd").Count(fd =>
            new FileInfo(fd).LinkTarget is { } t && t.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(t[8..^1]));
    }
}
