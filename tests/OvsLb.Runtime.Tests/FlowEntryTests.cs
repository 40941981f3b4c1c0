using OvsLb.State;

namespace OvsLb.Runtime.Tests;

/// <summary>FlowEntry caches its key and text; a changed copy must never show the old ones.</summary>
[TestFixture]
public class FlowEntryTests
{
    [Test]
    public void A_changed_copy_formats_its_own_key_and_text()
    {
        var flow = TestStates.Patch().Flows.Values.OrderBy(f => f.Text, StringComparer.Ordinal).First();
        string before = flow.Text;
        var key = flow.Key;
        var moved = flow with { Priority = 7, TableId = 3 };
        Assert.That(moved.Text, Does.Contain("table=3").And.Contain("priority=7"));
        Assert.That(moved.Key, Is.Not.EqualTo(key));
        Assert.That(moved.Key.Priority, Is.EqualTo(7));
        Assert.That(flow.Text, Is.EqualTo(before), "the original is unchanged");
    }

    [Test]
    public void Equality_ignores_whether_the_text_was_cached()
    {
        var a = TestStates.Patch().Flows.Values.First();
        var b = a with { Cookie = a.Cookie }; // same values, a fresh instance
        _ = a.Text;
        Assert.That(b, Is.EqualTo(a));
        Assert.That(b.GetHashCode(), Is.EqualTo(a.GetHashCode()));
        Assert.That(a with { Cookie = a.Cookie + 1 }, Is.Not.EqualTo(a));
    }
}
