using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using static OvsLb.State.Tests.States;

namespace OvsLb.State.Tests;

/// <summary>
/// The reconciler's rules, without a switch: what is deleted, what is left alone, what counts as a
/// change, and the order the messages go out in (tests/OvsLb.Runtime.Tests/ReconcileTests check the
/// same against a real ovs-vswitchd).
/// </summary>
[TestFixture]
public class StateDiffTests
{
    private static string Describe(OfpMessage m) => m switch
    {
        GroupMod g => $"group {g.Command} {g.GroupId:x}",
        FlowMod f => $"flow {f.Command} {f.Cookie:x}",
        _ => m.ToString()!,
    };

    [Test]
    public void Messages_go_out_group_adds_and_mods_then_flow_deletes_then_flow_adds_then_group_deletes()
    {
        var stale = ToGroup(9, G3, 9);
        var installed = Of([Flow(1, new OutputAction(1), 1), stale], [Select(G1, 1), Select(G3, 1)]);
        var desired = Of([Flow(1, new OutputAction(2), 1), ToGroup(2, G2, 2)], [Select(G1, 1, 2), Select(G2, 3)]);
        var diff = StateDiff.Compute(desired, installed, Own);
        Assert.That(diff.ToMessages().Select(Describe), Is.EqualTo(new[]
        {
            $"group Add {G2:x}",
            $"group Modify {G1:x}",
            $"flow DeleteStrict {Cookies.Make(1, 9):x}",
            $"flow Add {Cookies.Make(1, 1):x}",
            $"flow Add {Cookies.Make(1, 2):x}",
            $"group Delete {G3:x}",
        }));
        Assert.That(diff.MessageCount, Is.EqualTo(6));
    }

    [Test]
    public void A_group_an_installed_flow_still_uses_is_deleted_only_after_that_flow()
    {
        // Both go: the flow into G1 and G1 itself. OVS refuses to delete a group a flow points at
        // (and would delete the flow with it), so the flow's DELETE_STRICT must come first.
        var installed = Of([ToGroup(1, G1, 1)], [Select(G1, 1)]);
        var messages = StateDiff.Compute(SwitchState.Empty, installed, Own).ToMessages().Select(Describe).ToList();
        Assert.That(messages, Is.EqualTo(new[] { $"flow DeleteStrict {Cookies.Make(1, 1):x}", $"group Delete {G1:x}" }));
    }

    [Test]
    public void Flows_with_foreign_cookies_are_left_alone_and_ours_are_deleted()
    {
        var foreign = Flow(5, new OutputAction(1), 0) with { Cookie = 0x1234 };
        var cookieless = Flow(6, new OutputAction(1), 0) with { Cookie = 0 };
        var ours = Flow(7, new OutputAction(1), 7);
        var diff = StateDiff.Compute(SwitchState.Empty, Of([foreign, cookieless, ours]), Own);
        Assert.That(diff.FlowDeletes, Is.EqualTo(new[] { ours }));
    }

    [Test]
    public void ManageForeignFlows_deletes_foreign_flows_but_never_learned_ones()
    {
        var foreign = Flow(5, new OutputAction(1), 0) with { Cookie = 0x1234 };
        var learned = Flow(6, new OutputAction(1), 0) with { Cookie = Cookies.Make(CookieLayout.LearnedFeature, 6) };
        var installed = Of([foreign, learned]);
        var managing = Own with { ManageForeignFlows = true };
        Assert.That(StateDiff.Compute(SwitchState.Empty, installed, managing).FlowDeletes, Is.EqualTo(new[] { foreign }));
        Assert.That(StateDiff.Compute(SwitchState.Empty, installed, Own).FlowDeletes, Is.Empty, "without ManageForeignFlows neither goes");
    }

    [Test]
    public void Learned_flows_are_never_deleted_though_they_carry_our_signature()
    {
        var learned = Flow(6, new OutputAction(1), 0) with { Cookie = Cookies.Make(CookieLayout.LearnedFeature, 6) };
        Assert.That(learned.Cookie >> 48, Is.EqualTo((ulong)CookieLayout.DefaultSignature));
        var diff = StateDiff.Compute(Of([Flow(1, new OutputAction(1), 1)]), Of([learned]), Own);
        Assert.That(diff.FlowDeletes, Is.Empty);
        Assert.That(StateDiff.Apply(Of([learned]), Of([Flow(1, new OutputAction(1), 1)]), Own).Flows.Values, Does.Contain(learned), "and stay installed");
    }

    [Test]
    public void Groups_outside_the_owned_range_are_left_alone()
    {
        var foreign = Select(7, 1);
        var below = Select(Own.GroupIdFirst - 1, 1);
        var above = Select(Own.GroupIdLast + 1, 1);
        var ours = Select(G1, 1);
        var diff = StateDiff.Compute(SwitchState.Empty, Of([], [foreign, below, above, ours]), Own);
        Assert.That(diff.GroupDeletes.Select(g => g.GroupId), Is.EqualTo(new[] { G1 }));
    }

    [Test]
    public void A_changed_cookie_timeout_or_action_is_a_change()
    {
        var f = Flow(1, new OutputAction(1), 1);
        var installed = Of([f]);
        foreach (var (what, changed) in new (string, FlowEntry)[]
        {
            ("cookie", f with { Cookie = f.Cookie + 1 }),
            ("idle timeout", f with { IdleTimeout = 30 }),
            ("hard timeout", f with { HardTimeout = 30 }),
            ("flags", f with { Flags = FlowModFlags.SendFlowRem }),
            ("action", f with { Instructions = [new ApplyActionsInstruction(new OutputAction(2))] }),
            ("instruction", f with { Instructions = [new ApplyActionsInstruction(new OutputAction(1)), new GotoTableInstruction(3)] }),
        })
        {
            Assert.That(changed.Key, Is.EqualTo(f.Key), what);
            var diff = StateDiff.Compute(Of([changed]), installed, Own);
            Assert.That(diff.FlowAdds, Is.EqualTo(new[] { changed }), what);
            Assert.That(diff.FlowDeletes, Is.Empty, what);
        }
    }

    [Test]
    public void The_same_flow_written_differently_is_no_change()
    {
        var f = Flow(1, new OutputAction(1), 1);
        var installed = Of([f]);
        foreach (var (what, same) in new (string, FlowEntry)[]
        {
            ("a new instance", f with { Match = new OfpMatch(f.Match.Fields.AsSpan().ToArray()) }),
            ("OXM fields in another order", f with { Match = new OfpMatch(f.Match.Fields.AsSpan().ToArray().Reverse().ToArray()) }),
            ("an explicit all-ones mask", f with { Match = new OfpMatch(f.Match.Fields[0], f.Match.Fields[1] with { HasMask = true, Mask = uint.MaxValue }) }),
            ("the output's max_len as ovs-ofctl writes it", f with { Instructions = [new ApplyActionsInstruction(new OutputAction(1, 0))] }),
            ("an empty apply-actions besides", f with { Instructions = [new ApplyActionsInstruction(new OutputAction(1)), new ApplyActionsInstruction([])] }),
        })
        {
            Assert.That(same, Is.Not.SameAs(f));
            Assert.That(same.Key, Is.EqualTo(f.Key), what);
            Assert.That(StateDiff.Compute(Of([same]), installed, Own).IsEmpty, Is.True, what);
        }
        // OVS keeps instructions in its fixed order (apply-actions before goto-table).
        var both = f with { Instructions = [new ApplyActionsInstruction(new OutputAction(1)), new GotoTableInstruction(3)] };
        var swapped = f with { Instructions = [new GotoTableInstruction(3), new ApplyActionsInstruction(new OutputAction(1))] };
        Assert.That(StateDiff.Compute(Of([swapped]), Of([both]), Own).IsEmpty, Is.True, "instructions in another order");
    }

    [Test]
    public void A_group_changes_with_its_type_or_buckets_and_not_with_a_new_instance()
    {
        var g = Select(G1, 1, 2);
        var installed = Of([], [g]);
        Assert.That(StateDiff.Compute(Of([], [Select(G1, 1, 2)]), installed, Own).IsEmpty, Is.True, "an equal group, another instance");
        Assert.That(StateDiff.Compute(Of([], [Select(G1, 1, 3)]), installed, Own).GroupMods.Select(x => x.GroupId), Is.EqualTo(new[] { G1 }), "other buckets");
        Assert.That(StateDiff.Compute(Of([], [g with { Type = GroupType.All }]), installed, Own).GroupMods.Select(x => x.GroupId), Is.EqualTo(new[] { G1 }), "another type");
        Assert.That(StateDiff.Compute(Of([], [g with { Buckets = g.Buckets.AsSpan().ToArray().Reverse().ToArray() }]), installed, Own).GroupMods, Has.Count.EqualTo(1), "buckets in another order");
    }

    [Test]
    public void Apply_gives_the_desired_state_plus_what_it_leaves_alone()
    {
        var foreign = Flow(5, new OutputAction(1), 0) with { Cookie = 0x1234 };
        var stale = Flow(9, new OutputAction(1), 9);
        var installed = Of([foreign, stale, Flow(1, new OutputAction(1), 1)], [Select(7, 1), Select(G3, 1)]);
        var desired = Of([Flow(1, new OutputAction(2), 1), ToGroup(2, G1, 2)], [Select(G1, 1)]);

        var after = StateDiff.Apply(installed, desired, Own);
        Assert.That(after.Flows.Values, Is.EquivalentTo(desired.Flows.Values.Append(foreign)));
        Assert.That(after.Groups.Keys, Is.EquivalentTo(new[] { 7u, G1 }));
        Assert.That(StateDiff.Compute(desired, after, Own).IsEmpty, Is.True, "nothing left to do");
        foreach (var f in desired.Flows.Values) Assert.That(after.Flows[f.Key], Is.SameAs(f), "the desired instances are kept");
        Assert.That(StateDiff.Apply(Of([stale]), desired, Own), Is.SameAs(desired), "nothing foreign: the desired state itself");
    }
}
