using OvsLb.Cluster;

namespace OvsLb.Cluster.Tests;

/// <summary>The merge of shared health verdicts: per-instance sets, the live filter, the union, and key parsing.</summary>
[TestFixture]
public class HealthVerdictsTests
{
    private const string Prefix = "/ovslb/health/";

    [Test]
    public void Keys_split_into_backend_id_and_instance()
    {
        Assert.That(HealthVerdicts.Key(Prefix, "web/b1", "i1"), Is.EqualTo("/ovslb/health/web/b1/i1"));
        Assert.That(HealthVerdicts.ParseKey(Prefix, "/ovslb/health/web/b1/i1"), Is.EqualTo(("web/b1", "i1")));
        Assert.That(HealthVerdicts.ParseKey(Prefix, "/ovslb/health/i1"), Is.Null, "no backend id");
        Assert.That(HealthVerdicts.ParseKey(Prefix, "/ovslb/health/web/b1/"), Is.Null, "no instance");
        Assert.That(HealthVerdicts.ParseKey(Prefix, "/other/health/web/b1/i1"), Is.Null, "another prefix");
    }

    [Test]
    public void A_backend_is_down_when_any_live_instance_says_so()
    {
        var v = new HealthVerdicts();
        Assert.That(v.SetDown("i1", "web/b1"), Is.True);
        Assert.That(v.SetDown("i1", "web/b1"), Is.False, "seen twice (watch restart)");
        v.SetDown("i2", "web/b2");
        v.SetDown("i3", "web/b1");
        Assert.That(v.Down(["i1", "i2", "i3"]), Is.EquivalentTo(new[] { "web/b1", "web/b2" }));
        Assert.That(v.Of("i1"), Is.EquivalentTo(new[] { "web/b1" }));
        Assert.That(v.Of("nobody"), Is.Empty);
    }

    [Test]
    public void Verdicts_of_an_instance_not_live_do_not_count()
    {
        var v = new HealthVerdicts();
        v.SetDown("i1", "web/b1");
        v.SetDown("i2", "web/b2");
        Assert.That(v.Down(["i2"]), Is.EquivalentTo(new[] { "web/b2" }), "i1 is dead or cut off");
        Assert.That(v.Down([]), Is.Empty);
    }

    [Test]
    public void The_callers_own_verdicts_are_left_out()
    {
        var v = new HealthVerdicts();
        v.SetDown("self", "web/b1");
        v.SetDown("other", "web/b2");
        Assert.That(v.Down(["self", "other"], except: "self"), Is.EquivalentTo(new[] { "web/b2" }));
    }

    [Test]
    public void A_backend_stays_down_until_every_instance_withdrew_its_verdict()
    {
        var v = new HealthVerdicts();
        v.SetDown("i1", "web/b1");
        v.SetDown("i2", "web/b1");
        Assert.That(v.Clear("i1", "web/b1"), Is.True);
        Assert.That(v.Clear("i1", "web/b1"), Is.False, "already gone");
        Assert.That(v.Down(["i1", "i2"]), Is.EquivalentTo(new[] { "web/b1" }), "i2 still says down");
        v.Clear("i2", "web/b1");
        Assert.That(v.Down(["i1", "i2"]), Is.Empty);
        Assert.That(v.Instances, Is.Empty, "instances with no verdict left are forgotten");
        v.SetDown("i1", "web/b1");
        v.Reset();
        Assert.That(v.Down(["i1"]), Is.Empty);
    }
}
