using System.Runtime.InteropServices;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// Structural efficiency guarantees (not timings): encoding into a caller buffer allocates nothing,
/// and a decoded PACKET_IN's data is a slice of the received bytes, not a copy.
/// </summary>
[TestFixture]
public class CodecEfficiencyTests
{
    [Test]
    public void Encoding_a_flow_mod_allocates_nothing()
    {
        var flow = SampleFlows.ServiceFlow(3);
        var buffer = new byte[1024];
        OfpEncoder.Write(flow, buffer); // warm up (JIT, static tables)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) OfpEncoder.Write(flow, buffer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Packet_in_data_aliases_the_received_buffer()
    {
        var frame = new byte[60];
        frame[12] = 0x08;
        frame[13] = 0x06;
        var bytes = OfpEncoder.ToArray(new PacketIn { TotalLength = 60, Match = new OfpMatch(OxmEntry.For(MfId.InPortOxm, 3)), Data = frame });
        var received = new ReadOnlyMemory<byte>(bytes);
        var p = (PacketIn)OfpDecoder.Decode(received);
        Assert.That(MemoryMarshal.TryGetArray(p.Data.Memory, out var seg), Is.True);
        Assert.That(seg.Array, Is.SameAs(bytes), "data must be a slice of the input, not a copy");
        Assert.That(seg.Offset, Is.EqualTo(bytes.Length - 60));
        Assert.That(p.InPort, Is.EqualTo(3u));
    }
}
