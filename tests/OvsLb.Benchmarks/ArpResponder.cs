using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.Runtime.Session;
using OvsLb.Testing.Frames;

namespace OvsLb.Benchmarks;

/// <summary>
/// The minimal packet-in application of the packet-in benchmark: every ARP request that arrives in a
/// PACKET_IN is answered with a PACKET_OUT carrying the ARP reply ("target IP is at
/// <see cref="Mac"/>", built with <see cref="TestFrames.ArpReply"/> (PacketDotNet)) out of the port it came in on
/// (output:IN_PORT). Anything else is counted and ignored.
/// </summary>
public sealed class ArpResponder(Action<ISwitchHandle>? onReady = null) : ISwitchEvents
{
    private long _answered, _ignored;

    public static readonly MacAddress Mac = new(0x02_00_00_00_00_fe);

    public long Answered => Interlocked.Read(ref _answered);
    public long Ignored => Interlocked.Read(ref _ignored);

    public ValueTask OnReadyAsync(ISwitchHandle session)
    {
        onReady?.Invoke(session);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPacketInAsync(ISwitchHandle session, PacketIn packetIn)
    {
        var p = packetIn.ParsePacket();
        if (!p.IsArp || p.ArpOp != ArpOp.Request)
        {
            Interlocked.Increment(ref _ignored);
            return ValueTask.CompletedTask;
        }
        VlanTag? vlan = p.VlanCount > 0 ? p.Vlan0 : null;
        var frame = TestFrames.ArpReply(Mac, p.ArpTpa, p.ArpSha, p.ArpSpa, vlan);
        session.Send(new PacketOut
        {
            InPort = packetIn.InPort,
            Actions = [new OutputAction(OfctlFormat.Ports.InPort)],
            Data = frame,
        });
        Interlocked.Increment(ref _answered);
        return ValueTask.CompletedTask;
    }
}
