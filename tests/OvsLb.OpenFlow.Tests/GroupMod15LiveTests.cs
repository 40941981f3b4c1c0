using System.Globalization;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// Our OpenFlow 1.5 bytes sent to a real ovs-vswitchd on a connection negotiated at 1.5 (a bare HELLO
/// exchange on the bridge's management socket): OVS accepts them (barrier reply, no error) and
/// <c>ovs-ofctl -O OpenFlow15 dump-groups</c> lists the group exactly as <see cref="GroupMod15.DumpText"/>.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public class GroupMod15LiveTests
{
    private OvsSandbox _ovs = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _ovs = OvsSandbox.Start(dummy: true);
        _ovs.AddBridge("of15br", protocols: "OpenFlow13,OpenFlow15");
        for (int p = 1; p <= 4; p++) _ovs.AddDummyPort("of15br", $"of15p{p}", p);
    }

    [OneTimeTearDown]
    public void Stop() => _ovs?.Dispose();

    private static byte[] ReadMessage(System.Net.Sockets.Socket s)
    {
        var header = new byte[8];
        ReadExactly(s, header);
        int len = (header[2] << 8) | header[3];
        var msg = new byte[len];
        header.CopyTo(msg, 0);
        ReadExactly(s, msg.AsSpan(8));
        return msg;
    }

    private static void ReadExactly(System.Net.Sockets.Socket s, Span<byte> buf)
    {
        int got = 0;
        while (got < buf.Length)
        {
            int n = s.Receive(buf[got..]);
            if (n == 0) throw new IOException("OVS closed the connection");
            got += n;
        }
    }

    /// <summary>Sends the messages, then a barrier; returns every message OVS answered before the barrier reply.</summary>
    private List<byte[]> SendOf15(params byte[][] messages)
    {
        using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        s.ReceiveTimeout = 10_000;
        s.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_ovs.MgmtSocket("of15br")));
        s.Send(Hex("06000008 00000001"));           // HELLO, OpenFlow 1.5 only
        var hello = ReadMessage(s);
        Assert.That(hello[1], Is.EqualTo(0), "OVS's first message is its HELLO");
        foreach (var m in messages) s.Send(m);
        s.Send(Hex("06140008 7fffffff"));           // BARRIER_REQUEST
        var answers = new List<byte[]>();
        while (true)
        {
            var m = ReadMessage(s);
            if (m[1] == 21) return answers;          // BARRIER_REPLY
            if (m[1] == 2) continue;                 // ECHO_REQUEST (not expected within 10 s)
            answers.Add(m);
        }
    }

    private static byte[] Hex(string h) => Convert.FromHexString(h.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>The group's line of <c>ovs-ofctl -O OpenFlow15 dump-groups BR GROUP</c>.</summary>
    private IReadOnlyList<string> DumpGroup(uint id) =>
        FlowText.NormaliseGroups(ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow15", "dump-groups", "of15br", id.ToString(System.Globalization.CultureInfo.InvariantCulture)], _ovs.Env).EnsureSuccess().Stdout);

    private static Bucket15 Slot(int s) =>
        Bucket15.Select((uint)s, 1, (uint)(s % 4 + 1), SetFieldAction.Of(MfId.EthDst, 0x020000000000UL + (uint)(s % 4 + 1)), new OutputAction((uint)(s % 4 + 1)));

    [Test]
    public void Ovs_installs_our_dp_hash_slot_group_and_dumps_our_text()
    {
        var add = GroupMod15.AddSelect(1, SelectionMethod.DpHash(), Enumerable.Range(0, 64).Select(Slot), xid: 10);
        Assert.That(SendOf15(OfpEncoder.ToArray(add)).Select(m => OfpPrinter.PrintBytes(m)), Is.Empty, "OVS answered with an error");
        Assert.That(DumpGroup(1), Is.EqualTo(new[] { add.DumpText() }));

        // A full MODIFY re-owning slots 0..15 to backend 1, the way a re-plan is sent.
        var buckets = Enumerable.Range(0, 64).Select(s => s < 16 ? Slot(0) with { BucketId = (uint)s } : Slot(s));
        var mod = GroupMod15.ModifySelect(1, SelectionMethod.DpHash(), buckets, xid: 11);
        Assert.That(SendOf15(OfpEncoder.ToArray(mod)).Select(m => OfpPrinter.PrintBytes(m)), Is.Empty, "OVS answered with an error");
        Assert.That(DumpGroup(1), Is.EqualTo(new[] { mod.DumpText() }));
    }

    [Test]
    public void Ovs_installs_a_hash_fields_group_and_dumps_our_text()
    {
        var add = GroupMod15.AddSelect(2, SelectionMethod.Hash(MfId.Ipv4Src, MfId.Ipv4Dst, MfId.UdpSrc, MfId.UdpDst),
            Enumerable.Range(0, 4).Select(Slot), xid: 12);
        Assert.That(SendOf15(OfpEncoder.ToArray(add)).Select(m => OfpPrinter.PrintBytes(m)), Is.Empty, "OVS answered with an error");
        Assert.That(DumpGroup(2), Is.EqualTo(new[] { add.DumpText() }));
    }
}
