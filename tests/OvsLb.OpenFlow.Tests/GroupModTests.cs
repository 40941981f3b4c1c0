using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>GROUP_MOD built from code, and malformed GROUP_MOD bytes (hand-written) that must be refused.</summary>
[TestFixture]
public class GroupModTests
{
    private static byte[] Hex(string h) => Convert.FromHexString(h.Replace(" ", "", StringComparison.Ordinal));

    private static OfpProtocolException Refused(string hex) =>
        Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(Hex(hex)))!;

    [Test]
    public void Select_group_with_256_buckets_round_trips()
    {
        var buckets = Enumerable.Range(0, 256).Select(i =>
            Bucket.Weighted((ushort)(i % 7 + 1), SetFieldAction.Of(MfId.Ipv4Dst, 0x0a000000u + (uint)i), new OutputAction((uint)(i % 3 + 1))));
        var gm = GroupMod.Select(256, buckets, xid: 9);
        var bytes = OfpEncoder.ToArray(gm);
        Assert.That(bytes, Has.Length.EqualTo(16 + 256 * (16 + 16 + 16)));
        var back = OfpDecoder.Decode(bytes);
        Assert.That(back, Is.EqualTo(gm));
        var text = OfpPrinter.Print(back);
        Assert.That(text, Does.StartWith("OFPT_GROUP_MOD (OF1.3) (xid=0x9):\n ADD group_id=256,type=select,bucket=actions=set_field:10.0.0.0->ip_dst,output:1,bucket=weight:2,actions="));
        Assert.That(gm.CheckError(), Is.Null);
    }

    [Test]
    public void Factories_print_like_ovs()
    {
        Assert.That(OfpPrinter.Print(GroupMod.Delete(xid: 3)), Is.EqualTo("OFPT_GROUP_MOD (OF1.3) (xid=0x3):\n DEL group_id=4294967292,type=all"));
        var ff = GroupMod.Add(12, GroupType.FastFailover, [Bucket.WatchingPort(1, new OutputAction(1)), Bucket.WatchingGroup(11, new GroupAction(11))]);
        Assert.That(OfpPrinter.Print(ff), Is.EqualTo("OFPT_GROUP_MOD (OF1.3) (xid=0x0):\n ADD group_id=12,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_group:11,actions=group:11"));
        var all = GroupMod.Add(10, GroupType.All, [Bucket.Of(new OutputAction(1)), Bucket.Of()]);
        Assert.That(OfpPrinter.Print(all), Is.EqualTo("OFPT_GROUP_MOD (OF1.3) (xid=0x0):\n ADD group_id=10,type=all,bucket=actions=output:1,bucket=actions=drop"));
    }

    [Test]
    public void Ovs_decode_checks_are_reported_not_thrown()
    {
        Assert.That(GroupMod.Add(1, GroupType.All, [Bucket.Weighted(3, new OutputAction(1))]).CheckError(), Is.EqualTo("OFPGMFC_INVALID_GROUP"));
        Assert.That(GroupMod.Add(1, GroupType.All, [Bucket.WatchingPort(1, new OutputAction(1))]).CheckError(), Is.EqualTo("OFPGMFC_WATCH_UNSUPPORTED"));
        Assert.That(GroupMod.Add(1, GroupType.FastFailover, [Bucket.Of(new OutputAction(1))]).CheckError(), Is.EqualTo("OFPGMFC_INVALID_GROUP"));
        Assert.That(GroupMod.Add(1, GroupType.Indirect, []).CheckError(), Is.EqualTo("OFPGMFC_INVALID_GROUP"));
        Assert.That(GroupMod.Add(1, (GroupType)7, []).CheckError(), Is.EqualTo("OFPGMFC_BAD_TYPE"));
        Assert.That((GroupMod.Delete(1) with { Buckets = [Bucket.Of()] }).CheckError(), Is.EqualTo("OFPGMFC_INVALID_GROUP"));
        Assert.That(GroupMod.Select(1, [new Bucket(1, 0xff00, GroupId.Any, EquatableArray<OfpAction>.Empty)]).CheckError(), Is.EqualTo("OFPGMFC_BAD_WATCH"));
    }

    [Test]
    public void Bucket_length_overrunning_the_message_is_refused()
    {
        // select group 40, one bucket claiming 200 bytes (32 present)
        var e = Refused("040f 0030 00000001 0000 01 00 00000028  00c8 0001 ffffffff ffffffff 00000000  0000 0010 00000001 ffff 000000000000");
        Assert.That(e.ErrorName, Is.EqualTo("OFPGMFC_BAD_BUCKET"));
        Assert.That(e.Offset, Is.EqualTo(16));
    }

    [Test]
    public void Bucket_length_below_its_header_is_refused()
    {
        var e = Refused("040f 0030 00000001 0000 01 00 00000028  0008 0001 ffffffff ffffffff 00000000  0000 0010 00000001 ffff 000000000000");
        Assert.That(e.ErrorName, Is.EqualTo("OFPGMFC_BAD_BUCKET"));
    }

    [Test]
    public void Leftover_bytes_after_the_buckets_are_refused()
    {
        var e = Refused("040f 0018 00000001 0000 01 00 00000028  0010 0001 ffffffff");
        Assert.That(e.ErrorName, Is.EqualTo("OFPGMFC_BAD_BUCKET"));
    }

    [Test]
    public void Bucket_actions_not_filling_the_bucket_are_refused()
    {
        // bucket len 24: header + 8 bytes, but the output action inside claims 16
        var e = Refused("040f 0028 00000001 0000 01 00 00000028  0018 0001 ffffffff ffffffff 00000000  0000 0010 00000001");
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadAction));
    }

    [Test]
    public void Truncated_group_mod_is_refused()
    {
        var e = Refused("040f 000c 00000001 0000 01 00");
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Group_mod_over_65535_bytes_cannot_be_encoded()
    {
        var buckets = Enumerable.Range(0, 2100).Select(_ => Bucket.Of(new OutputAction(1)));
        Assert.Throws<InvalidOperationException>(() => OfpEncoder.ToArray(GroupMod.Add(1, GroupType.All, buckets)));
    }
}
