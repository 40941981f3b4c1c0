using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.Pipeline.Groups;
using OvsLb.Pipeline.Hashing;

namespace OvsLb.Pipeline.Tests;

[TestFixture]
public class BackendSelectGroupTests
{
    private static BackendBucket Backend(int i) =>
        new([SetFieldAction.Of(MfId.EthDst, (UInt128)(0x0200_0000_0000UL + (ulong)i)), new OutputAction((uint)(i + 1))], i % 2 == 0 ? (uint)(i + 1) : null);

    [Test]
    public void A_64_slot_table_becomes_64_weight_1_buckets_in_slot_order()
    {
        var keys = Enumerable.Range(0, 5).Select(i => new MaglevBackend($"10.0.0.{i + 1}", 1)).ToArray();
        var slots = MaglevTable.Build(keys, 64);
        var g = BackendSelectGroup.Build(7, slots, Enumerable.Range(0, 5).Select(Backend).ToArray());
        Assert.That(g.Type, Is.EqualTo(GroupType.Select));
        Assert.That(g.Buckets, Has.Count.EqualTo(64));
        var text = g.Text;
        var buckets = text.Split("bucket=").Skip(1).ToArray();
        Assert.That(buckets, Has.Length.EqualTo(64), text);
        for (int i = 0; i < 64; i++)
        {
            int b = slots[i];
            Assert.That(buckets[i], Does.Contain($"output:{b + 1}"), $"bucket {i}");
            Assert.That(buckets[i], Does.Not.Contain("weight:"), $"bucket {i}: OVS omits the select default weight 1");
            Assert.That(buckets[i].Contains("watch_port:", StringComparison.Ordinal), Is.EqualTo(b % 2 == 0), $"bucket {i}");
        }
    }

    [TestCase(32, 0), TestCase(512, 0), TestCase(64, 9)]
    public void Bad_tables_are_rejected(int size, int badIndex)
    {
        var slots = new int[size];
        slots[0] = badIndex;
        Assert.That(() => BackendSelectGroup.Build(1, size == 32 ? slots[..31] : slots, [Backend(0)]), Throws.ArgumentException);
    }
}
