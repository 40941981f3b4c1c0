using System.Buffers;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>Hand-made bad inputs, each rejected with a typed error that names the problem.</summary>
[TestFixture]
public class MalformedInputTests
{
    private static byte[] Valid => OfpEncoder.ToArray(SampleFlows.ArpResponder(7));

    private static OfpProtocolException Rejects(byte[] bytes) =>
        Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    private static byte[] WithU16(byte[] b, int at, int v)
    {
        var c = (byte[])b.Clone();
        c[at] = (byte)(v >> 8);
        c[at + 1] = (byte)v;
        return c;
    }

    [Test]
    public void Shorter_than_a_header()
    {
        var e = Rejects([4, 0, 0]);
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Header_length_disagrees_with_the_bytes()
    {
        var e = Rejects(Valid[..^8]);
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.Message, Does.Contain("header length"));
    }

    [Test]
    public void Not_openflow_13()
    {
        var b = Valid;
        b[0] = 1;
        var e = Rejects(b);
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadVersion));
        Assert.That(e.OpenFlowError, Is.EqualTo(((ushort)1, (ushort)0)));
    }

    [Test]
    public void Unknown_message_type()
    {
        var e = Rejects([4, 200, 0, 8, 0, 0, 0, 1]);
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadType));
        Assert.That(e.OpenFlowError, Is.EqualTo(((ushort)1, (ushort)1)));
    }

    [Test]
    public void Match_length_overruns_the_message()
    {
        // ofp_match.length is at byte 50 of a FLOW_MOD.
        var e = Rejects(WithU16(Valid, 50, 4000));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadMatch));
    }

    [Test]
    public void Oxm_length_overruns_the_match()
    {
        // First OXM header at 52..55: set its length byte to 200.
        var b = Valid;
        b[55] = 200;
        var e = Rejects(b);
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadMatch));
        Assert.That(e.Message, Does.Contain("overruns"));
    }

    [Test]
    public void Zero_length_action()
    {
        var m = SampleFlows.ServiceFlow(1);
        var b = OfpEncoder.ToArray(m);
        int instr = 8 + 40 + m.Match.WireLength;       // apply-actions instruction
        var e = Rejects(WithU16(b, instr + 8 + 2, 0)); // first action's length
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadAction));
        Assert.That(e.Message, Does.Contain("length 0"));
    }

    [Test]
    public void Instruction_length_disagrees_with_its_actions()
    {
        var m = SampleFlows.ServiceFlow(1);
        var b = OfpEncoder.ToArray(m);
        int instr = 8 + 40 + m.Match.WireLength;
        var e = Rejects(WithU16(b, instr + 2, 16));    // claims 16 bytes; its actions say otherwise
        Assert.That(e.Kind, Is.AnyOf(OfpErrorKind.BadAction, OfpErrorKind.BadInstruction, OfpErrorKind.BadLength));
    }

    [Test]
    public void Reg_move_outside_the_field()
    {
        var b = Valid;
        // First action of the ARP responder is move eth_src->eth_dst: n_bits at action offset 10.
        int actions = 8 + 40 + SampleFlows.ArpResponder().Match.WireLength + 8;
        var e = Rejects(WithU16(b, actions + 10, 49));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadAction));
        Assert.That(e.Message, Does.Contain("outside"));
    }

    [Test]
    public void Framer_rejects_lengths_below_8_and_above_the_maximum_before_the_body_arrives()
    {
        var framer = new OfpFramer(maxMessageLength: 1024);
        var small = new ReadOnlySequence<byte>(new byte[] { 4, 0, 0, 7, 0, 0, 0, 0 });
        Assert.That(Assert.Throws<OfpProtocolException>(() => framer.TryReadMessage(ref small, out _))!.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        // Only the header of a 64 KiB message: rejected at once, not waited for.
        var big = new ReadOnlySequence<byte>(new byte[] { 4, 10, 0xff, 0xff, 0, 0, 0, 0 });
        var e = Assert.Throws<OfpProtocolException>(() => framer.TryReadMessage(ref big, out _))!;
        Assert.That(e.Message, Does.Contain("65535").And.Contain("1024"));
    }

    [Test]
    public void Framer_waits_for_the_rest_and_slices_across_segments()
    {
        var bytes = Valid;
        var framer = new OfpFramer();
        var partial = new ReadOnlySequence<byte>(bytes[..20]);
        Assert.That(framer.TryReadMessage(ref partial, out _), Is.False);
        Assert.That(partial.Length, Is.EqualTo(20), "buffer untouched while incomplete");

        var seq = Segments.Of(bytes[..5], bytes[5..61], bytes[61..], [4, 2, 0, 8, 0, 0, 0, 9]);
        Assert.That(framer.TryReadMessage(ref seq, out var first), Is.True);
        Assert.That(first.IsSingleSegment, Is.False);
        Assert.That(OfpDecoder.Decode(first), Is.EqualTo(SampleFlows.ArpResponder(7)));
        Assert.That(framer.TryReadMessage(ref seq, out var second), Is.True);
        Assert.That(OfpDecoder.Decode(second), Is.EqualTo(new EchoMessage(false, Bytes.Empty) { Xid = 9 }));
        Assert.That(seq.Length, Is.Zero);
    }

    [Test]
    public void Unknown_actions_and_oxms_round_trip_unchanged()
    {
        // An experimenter action from an unknown vendor and an OXM of an unknown class.
        var unknownAction = Convert.FromHexString("ffff001000abcdef0001020304050607");
        var unknownOxm = Convert.FromHexString("7777020411223344");
        var flow = OfpEncoder.ToArray(SampleFlows.TableMissDrop(0));
        var m = (FlowMod)OfpDecoder.Decode(flow);
        var withUnknowns = m with
        {
            Match = new Match.OfpMatch(new Match.OxmEntry { Class = 0x7777, FieldCode = 1, ValueLength = 4, Raw = unknownOxm }),
            Instructions = [new Instructions.ApplyActionsInstruction(new Actions.RawAction(unknownAction))],
        };
        var bytes = OfpEncoder.ToArray(withUnknowns);
        var back = OfpDecoder.Decode(bytes);
        Assert.That(OfpEncoder.ToArray(back), Is.EqualTo(bytes));
        // OVS decodes a FLOW_MOD match strictly: an unknown OXM makes ofp-print show OFPBMC_BAD_FIELD.
        Assert.That(Text.OfpPrinter.Print(back), Does.StartWith("OFPT_FLOW_MOD (OF1.3) (xid=0x0): ***decode error: OFPBMC_BAD_FIELD***"));
        // With a valid match, the action of an unknown vendor is what OVS refuses (OFPBAC_BAD_VENDOR); the
        // action on its own still prints its bytes.
        Assert.That(Text.OfpPrinter.Print(withUnknowns with { Match = Match.OfpMatch.Any }),
            Does.StartWith("OFPT_FLOW_MOD (OF1.3) (xid=0x0): ***decode error: OFPBAC_BAD_VENDOR***"));
        Assert.That(new Actions.RawAction(unknownAction).ToString(), Is.EqualTo("raw(ffff001000abcdef0001020304050607)"));
    }
}

/// <summary>Builds a multi-segment sequence for framing tests.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> m, long index)
    {
        Memory = m;
        RunningIndex = index;
    }

    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        var first = new Segments(parts[0], 0);
        var last = first;
        long idx = parts[0].Length;
        foreach (var p in parts.Skip(1))
        {
            var s = new Segments(p, idx);
            last.Next = s;
            last = s;
            idx += p.Length;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
