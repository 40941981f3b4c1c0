using OvsLb.OpenFlow.Actions;
using static OvsLb.State.Tests.States;

namespace OvsLb.State.Tests;

/// <summary>FlowEntry and GroupEntry cache their key, canonical bytes and text; a changed copy must never show the old ones.</summary>
[TestFixture]
public class FlowEntryTests
{
    [Test]
    public void A_changed_copy_computes_its_own_key_bytes_and_text()
    {
        var flow = Flow(1, new OutputAction(1), 1);
        string before = flow.Text;
        var key = flow.Key;
        var bytes = flow.InstructionBytes.ToArray();
        var moved = flow with { Priority = 7, TableId = 3 };
        Assert.That(moved.Text, Does.Contain("table=3").And.Contain("priority=7"));
        Assert.That(moved.Key, Is.Not.EqualTo(key));
        Assert.That((moved.Key.TableId, moved.Key.Priority), Is.EqualTo(((byte)3, (ushort)7)));
        var rerouted = flow with { Match = IpDst(2), Instructions = [new OpenFlow.Instructions.ApplyActionsInstruction(new OutputAction(2))] };
        Assert.That(rerouted.Key, Is.Not.EqualTo(key));
        Assert.That(rerouted.InstructionBytes.SequenceEqual(bytes), Is.False);
        Assert.That(flow.Text, Is.EqualTo(before), "the original is unchanged");
        Assert.That(flow.Key, Is.EqualTo(key));
    }

    [Test]
    public void A_changed_group_copy_computes_its_own_bytes()
    {
        var g = Select(G1, 1, 2);
        var bytes = g.ContentBytes.ToArray();
        _ = g.Text;
        var other = g with { Buckets = Select(G1, 3).Buckets };
        Assert.That(other.ContentBytes.SequenceEqual(bytes), Is.False);
        Assert.That(other.SameContent(g), Is.False);
        Assert.That(other.Text, Does.Contain("output:3"));
    }

    [Test]
    public void Equality_ignores_whether_the_caches_were_filled()
    {
        var a = Flow(1, new OutputAction(1), 1);
        var b = a with { Cookie = a.Cookie }; // same values, a fresh instance
        _ = a.Text;
        _ = a.Key;
        Assert.That(b, Is.EqualTo(a));
        Assert.That(b.GetHashCode(), Is.EqualTo(a.GetHashCode()));
        Assert.That(a with { Cookie = a.Cookie + 1 }, Is.Not.EqualTo(a));
    }
}
