using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The pipeline declaration (<see cref="LbPipeline"/>) is data, and every flow the builder makes stays
/// inside it: matched fields, written fields, next tables, exits, learned flows. Each rule is also shown
/// to catch a flow that breaks it, and flows/README.md shows the same declaration under each table.
/// </summary>
public sealed class PipelineConformanceTests
{
    private static IEnumerable<(string Name, SwitchState State)> AllBuiltStates()
    {
        foreach (var name in Scenario.Names)
        {
            var s = Scenario.Load(name);
            foreach (var b in s.Config.Bridges.ToArray()) yield return ($"{name}/{b.Name}", s.Build(b).State);
        }
    }

    [Test]
    public void Every_built_flow_stays_inside_the_declared_pipeline()
    {
        int flows = 0;
        foreach (var (name, state) in AllBuiltStates())
        {
            Assert.That(PipelineConformance.Violations(state), Is.Empty, name);
            Assert.That(state.Flows.Values.Where(f => f.Cookie >> 48 != CookieLayout.DefaultSignature).Select(f => f.Text), Is.Empty, $"{name}: every flow carries the cookie signature");
            flows += state.Flows.Count;
        }
        Assert.That(flows, Is.GreaterThan(50), "the scenarios built flows to check");
    }

    /// <summary>The translate scenario's first bridge: it has every kind of flow (groups with resubmits, learn, SNAT).</summary>
    private static SwitchState Translate()
    {
        var s = Scenario.Load("translate");
        return s.Build(s.Config.Bridges[0]).State;
    }

    private static FlowEntry First(SwitchState st, PipelineTable t, Func<FlowEntry, bool>? where = null) =>
        st.Flows.Values.Where(f => f.TableId == t.Id && f.Priority > 0 && (where?.Invoke(f) ?? true)).OrderBy(f => f.Text, StringComparer.Ordinal).First();

    private static SwitchState Replace(SwitchState st, FlowEntry old, FlowEntry now) =>
        SwitchState.Create(st.Flows.Values.Where(f => !ReferenceEquals(f, old)).Append(now), st.Groups.Values);

    private static IReadOnlyList<string> ViolationsAfter(Func<SwitchState, SwitchState> mutate)
    {
        var st = Translate();
        Assert.That(PipelineConformance.Violations(st), Is.Empty, "the unmutated state conforms");
        return PipelineConformance.Violations(mutate(st));
    }

    private static EquatableArray<OfpInstruction> Apply(params OfpAction[] a) => new([new ApplyActionsInstruction(a)]);

    [Test]
    public void A_match_on_an_undeclared_field_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Classify);
            return Replace(st, f, f with { Match = new OfpMatch([.. f.Match.Fields, OxmEntry.For(MfId.VlanVid, 0x1005)]) });
        });
        Assert.That(v, Has.Some.Contains("matches vlan_vid, which classify does not declare"));
    }

    [Test]
    public void A_write_to_an_undeclared_field_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Translate);
            return Replace(st, f, f with { Instructions = Apply(SetFieldAction.Of(MfId.Ipv4Src, 1)) });
        });
        Assert.That(v, Has.Some.Contains("writes ip_src, which translate does not declare"));
    }

    [Test]
    public void A_goto_to_an_undeclared_next_table_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Service);
            return Replace(st, f, f with { Instructions = new([new GotoTableInstruction(LbPipeline.NextHop.Id)]) });
        });
        Assert.That(v, Has.Some.Contains("continues in table 50, which is not a declared next table of service"));
    }

    [Test]
    public void A_bucket_resubmitting_to_an_undeclared_table_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var g = st.Groups.Values.First();
            var bad = g with { Buckets = new([.. g.Buckets.Skip(1), g.Buckets[0] with { Actions = new([ResubmitAction.ToTable(LbPipeline.Return.Id)]) }]) };
            return SwitchState.Create(st.Flows.Values, st.Groups.Values.Where(x => x.GroupId != g.GroupId).Append(bad));
        });
        Assert.That(v, Has.Some.Contains("(bucket of group").And.Contains("continues in table 40"));
    }

    [Test]
    public void An_undeclared_exit_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Classify);
            return Replace(st, f, f with { Instructions = Apply(new OutputAction(OfctlFormat.Ports.Controller)) });
        });
        Assert.That(v, Has.Some.Contains("ends in output:CONTROLLER, which classify does not declare as an exit"));
    }

    [Test]
    public void A_meter_outside_a_metering_table_or_missing_from_the_state_is_caught()
    {
        var elsewhere = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Classify);
            return Replace(st, f, f with { Instructions = new([new OvsLb.OpenFlow.Instructions.MeterInstruction(1), .. f.Instructions]) });
        });
        Assert.That(elsewhere, Has.Some.Contains("meter:1, but classify does not declare meters"));
        var missing = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Service);
            return Replace(st, f, f with { Instructions = new([new OvsLb.OpenFlow.Instructions.MeterInstruction(1), .. f.Instructions]) });
        });
        Assert.That(missing, Has.Some.Contains("meter:1 is not in the state"));
    }

    [Test]
    public void A_flow_in_an_undeclared_table_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Return);
            return Replace(st, f, f with { TableId = 7 });
        });
        Assert.That(v, Has.Some.Contains("table 7 is not declared"));
    }

    [Test]
    public void A_learn_into_an_undeclared_table_or_with_undeclared_fields_is_caught()
    {
        var v = ViolationsAfter(st =>
        {
            var f = First(st, LbPipeline.Arp, x => x.Instructions.OfType<ApplyActionsInstruction>().Any(a => a.Actions.Any(y => y is LearnAction)));
            var learn = f.Instructions.OfType<ApplyActionsInstruction>().SelectMany(a => a.Actions).OfType<LearnAction>().First();
            var intoReturn = learn with { TableId = LbPipeline.Return.Id };
            var writesIpDst = learn with { Specs = new([.. learn.Specs, LearnSpec.Load(MfId.ArpSpa, MfId.Ipv4Dst)]) };
            var g = First(st, LbPipeline.Arp, x => x.Priority != f.Priority && x.Instructions.OfType<ApplyActionsInstruction>().Any(a => a.Actions.Any(y => y is LearnAction)));
            return SwitchState.Create(st.Flows.Values.Where(x => !ReferenceEquals(x, f) && !ReferenceEquals(x, g))
                .Append(f with { Instructions = Apply(intoReturn) }).Append(g with { Instructions = Apply(writesIpDst) }), st.Groups.Values);
        });
        Assert.That(v, Has.Some.Contains("learns into table 40, which arp does not declare"));
        Assert.That(v, Has.Some.Contains("learned flow: writes ip_dst, which nexthop does not declare"));
    }

    /// <summary>
    /// flows/README.md shows each table's declaration right under its heading, as
    /// <see cref="PipelineTable.Describe"/> prints it. <c>OVSLB_REGEN_FLOWS=1</c> rewrites those lines
    /// (in the source tree) instead of checking them; review the diff.
    /// </summary>
    [Test]
    public void Flows_readme_shows_each_tables_declaration()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "flows", "README.md");
        string readme = File.ReadAllText(path);
        if (Environment.GetEnvironmentVariable("OVSLB_REGEN_FLOWS") == "1")
        {
            foreach (var t in LbPipeline.Tables)
            {
                readme = System.Text.RegularExpressions.Regex.Replace(readme,
                    $"(## Table {t.Id} — `{t.Name}`\n\n)(Declared: [^\n]*\n\n)?", m => $"{m.Groups[1].Value}Declared: {t.Describe()}\n\n");
            }
            File.WriteAllText(Path.Combine(Scenario.SourceDir(""), "README.md"), readme);
        }
        foreach (var t in LbPipeline.Tables)
        {
            string heading = $"## Table {t.Id} — `{t.Name}`\n\n";
            int at = readme.IndexOf(heading, StringComparison.Ordinal);
            Assert.That(at, Is.GreaterThanOrEqualTo(0), $"flows/README.md has a section for {t}");
            string line = readme[(at + heading.Length)..].Split('\n')[0];
            Assert.That(line, Is.EqualTo($"Declared: {t.Describe()}"), $"flows/README.md shows {t}'s declaration under its heading (OVSLB_REGEN_FLOWS=1 rewrites it)");
        }
    }
}
