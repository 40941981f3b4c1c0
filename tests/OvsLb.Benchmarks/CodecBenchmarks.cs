using BenchmarkDotNet.Attributes;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.Benchmarks;

/// <summary>
/// Codec hot paths: encoding a typical ~100-byte FLOW_MOD into a reused buffer (must allocate
/// nothing) and decoding a PACKET_IN carrying a 60-byte ARP request (packet data is sliced, not copied).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[4096];
    private FlowMod _flowMod = null!;
    private byte[] _packetIn = null!;

    [GlobalSetup]
    public void Setup()
    {
        // tcp to 10.0.0.100:80 from 10.1.0.0/16 -> load reg0, group 7 (112 bytes on the wire).
        _flowMod = new FlowMod
        {
            Xid = 42,
            TableId = 2,
            Priority = 200,
            Cookie = 0x0100000000000007,
            Match = new OfpMatch(
                OxmEntry.For(MfId.EthType, 0x0800),
                OxmEntry.For(MfId.IpProto, 6),
                OxmEntry.For(MfId.Ipv4Src, 0x0a010000, 0xffff0000),
                OxmEntry.For(MfId.Ipv4Dst, 0x0a000064),
                OxmEntry.For(MfId.TcpDst, 80)),
            Instructions = [new ApplyActionsInstruction(SetFieldAction.Of(MfId.EthSrc, 0x0200000000fe), new GroupAction(7))],
        };
        var arp = Convert.FromHexString("ffffffffffff0a0000000001080600010800060400010a00000000010a0000010000000000000a000064" + new string('0', 36));
        _packetIn = OfpEncoder.ToArray(new PacketIn
        {
            Xid = 0,
            TotalLength = (ushort)arp.Length,
            Reason = PacketInReason.Action,
            TableId = 0,
            Cookie = 0x42,
            Match = new OfpMatch(OxmEntry.For(MfId.InPortOxm, 3)),
            Data = arp,
        });
    }

    public int FlowModLength => _flowMod.WireLength;

    [Benchmark]
    public int EncodeFlowMod() => OfpEncoder.Write(_flowMod, _buffer);

    [Benchmark]
    public OfpMessage DecodePacketIn() => OfpDecoder.Decode(_packetIn);
}
