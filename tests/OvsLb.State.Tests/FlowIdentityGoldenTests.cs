using System.Buffers.Binary;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Tests;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.State.Tests;

/// <summary>
/// Structural flow identity against OVS's own: every FLOW_MOD and flow-stats vector in
/// tests/golden/data carries the bytes OVS produced and the text OVS printed for them, and the text's
/// table, priority and match are OVS's notion of which flow it is. Two flows must have equal
/// <see cref="FlowKey"/>s exactly when OVS printed the same table, priority and match; the canonical
/// bytes must mean the match OVS printed; and writing a flow's OXM fields in another order (or an
/// exact field with an all-ones mask, or an NXM header for an OXM one) must not change its key.
/// </summary>
[TestFixture]
public class FlowIdentityGoldenTests
{
    /// <summary>A flow from a vector and OVS's identity for it: "table=T priority=P,match" as OVS printed it.</summary>
    public sealed record VectorFlow(string Vector, FlowEntry Flow, string OvsIdentity, string OvsMatch)
    {
        public override string ToString() => $"{Vector}: {OvsIdentity}";
    }

    private static readonly Lazy<IReadOnlyList<VectorFlow>> Flows = new(LoadFlows);

    private static readonly HashSet<string> FlowModFlagWords = new(StringComparer.Ordinal)
    {
        "send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts",
    };

    private static IReadOnlyList<VectorFlow> LoadFlows()
    {
        var flows = new List<VectorFlow>();
        foreach (var e in GoldenFile.LoadAll())
        {
            if (e.Text.Any(t => t.Contains("decode error", StringComparison.Ordinal))) continue;
            if (!e.Text[0].StartsWith("OFPT_FLOW_MOD ", StringComparison.Ordinal) && !e.Text[0].StartsWith("OFPST_FLOW reply", StringComparison.Ordinal)) continue;
            switch (OfpDecoder.Decode(e.Bytes))
            {
                case FlowMod fm:
                    {
                        var (table, match) = FlowModIdentity(e.Text[0]);
                        flows.Add(new(e.ToString(), FlowEntry.From(fm), $"table={table} {match}", match));
                        break;
                    }
                case FlowStatsReply r:
                    Assert.That(e.Text, Has.Count.EqualTo(r.Entries.Count + 1), $"{e}: one text line per flow");
                    for (int i = 0; i < r.Entries.Count; i++)
                    {
                        var (table, match) = FlowStatsIdentity(e.Text[i + 1]);
                        flows.Add(new($"{e}[{i}]", FlowEntry.From(r.Entries[i]), $"table={table} {match}", match));
                    }
                    break;
            }
        }
        return flows;
    }

    /// <summary>ofputil_flow_mod_format: "OFPT_FLOW_MOD (OF1.3) (xid=..): CMD [table:N ][match ][cookie:.. idle:.. flags ]actions=..".</summary>
    private static (int Table, string Match) FlowModIdentity(string line)
    {
        var tokens = line[(line.IndexOf("): ", StringComparison.Ordinal) + 3)..].Split(' ').Skip(1).ToList();
        int table = 0;
        if (tokens.Count > 0 && tokens[0].StartsWith("table:", StringComparison.Ordinal))
        {
            table = int.Parse(tokens[0]["table:".Length..], CultureInfo.InvariantCulture);
            tokens.RemoveAt(0);
        }
        string first = tokens.FirstOrDefault() ?? "";
        bool isMatch = first.Length > 0 && !first.StartsWith("actions=", StringComparison.Ordinal) && !FlowModFlagWords.Contains(first)
            && (first.IndexOf(':', StringComparison.Ordinal) is var colon && (colon < 0 || (first.IndexOf('=', StringComparison.Ordinal) is var eq && eq >= 0 && eq < colon)));
        return (table, isMatch ? first : "");
    }

    /// <summary>ofputil_flow_stats_format: " cookie=.., duration=.., table=N, n_packets=.., n_bytes=.., [..., ]match actions=..".</summary>
    private static (int Table, string Match) FlowStatsIdentity(string line)
    {
        string head = line[..line.IndexOf(" actions=", StringComparison.Ordinal)];
        int t = head.IndexOf(" table=", StringComparison.Ordinal) + " table=".Length;
        int table = int.Parse(head[t..head.IndexOf(',', t)], CultureInfo.InvariantCulture);
        // Flags (send_flow_rem ...) come space-separated before the match, which has no spaces.
        string last = head[(head.LastIndexOf(", ", StringComparison.Ordinal) + 2)..].Split(' ')[^1];
        return (table, last.EndsWith(',') || FlowModFlagWords.Contains(last) ? "" : last);
    }

    [Test]
    public void The_vectors_hold_enough_flows_to_judge()
    {
        var flows = Flows.Value;
        TestContext.Out.WriteLine($"{flows.Count} flows, {flows.Select(f => f.OvsIdentity).Distinct().Count()} distinct to OVS");
        Assert.That(flows, Has.Count.GreaterThan(200));
        Assert.That(flows.Select(f => f.OvsIdentity).Distinct().Count(), Is.GreaterThan(100));
        Assert.That(flows.GroupBy(f => f.OvsIdentity).Count(g => g.Count() > 1), Is.GreaterThan(10), "some flows recur in several vectors");
    }

    [Test]
    public void Keys_are_equal_exactly_when_ovs_printed_the_same_table_priority_and_match()
    {
        var flows = Flows.Value;
        var textsPerKey = flows.GroupBy(f => f.Flow.Key).Where(g => g.Select(f => f.OvsIdentity).Distinct().Count() > 1).ToList();
        var keysPerText = flows.GroupBy(f => f.OvsIdentity).Where(g => g.Select(f => f.Flow.Key).Distinct().Count() > 1).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(textsPerKey.Select(g => string.Join(" | ", g.Select(f => f.ToString()).Distinct())), Is.Empty, "one key, several flows to OVS");
            Assert.That(keysPerText.Select(g => string.Join(" | ", g.Select(f => $"{f.Vector}: {f.Flow.Key}").Distinct())), Is.Empty, "one flow to OVS, several keys");
        });
    }

    [Test]
    public void Canonical_bytes_decode_to_the_match_ovs_printed()
    {
        var wrong = Flows.Value.Select(f => (f, Printed: MatchFormatter.Format(Reparse(f.Flow), f.Flow.Priority)))
            .Where(x => x.Printed != x.f.OvsMatch).Select(x => $"{x.f}: canonical form prints '{x.Printed}'").ToList();
        Assert.That(wrong, Is.Empty);
    }

    /// <summary>The match the canonical bytes of <paramref name="flow"/>'s key encode, decoded by the codec from a FLOW_MOD.</summary>
    private static OfpMatch Reparse(FlowEntry flow)
    {
        var canonical = flow.Key.Match.ToArray();
        var wire = OfpEncoder.ToArray(new FlowMod { TableId = flow.TableId, Priority = flow.Priority });
        int matchLength = 4 + canonical.Length, padded = (matchLength + 7) & ~7;
        var bytes = new byte[48 + padded + (wire.Length - 56)];
        wire.AsSpan(0, 48).CopyTo(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(48), 1);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(50), (ushort)matchLength);
        canonical.CopyTo(bytes, 52);
        wire.AsSpan(56).CopyTo(bytes.AsSpan(48 + padded));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
        return ((FlowMod)OfpDecoder.Decode(bytes)).Match;
    }

    [Test]
    public void A_flow_written_another_way_keeps_its_key()
    {
        var flows = Flows.Value.Where(f => f.Flow.Match.Fields.Count > 0).ToArray();
        var variants =
            from f in Gen.Elements(flows)
            from order in Gen.Shuffle(f.Flow.Match.Fields.AsSpan().ToArray())
            from masks in Gen.ArrayOf(Gen.Elements(false, true), order.Length)
            from headers in Gen.ArrayOf(Gen.Elements(false, true), order.Length)
            select (f, Rewritten: order.Select((e, i) => Rewrite(e, masks[i], headers[i])).ToArray());
        Prop.ForAll(variants.ToArbitrary(), x =>
        {
            var again = x.f.Flow with { Match = new OfpMatch(x.Rewritten) };
            // The codec's printer (equal to OVS's on every vector) agrees it is the same match.
            Assert.That(MatchFormatter.Format(again.Match, again.Priority), Is.EqualTo(x.f.OvsMatch), x.f.ToString());
            Assert.That(again.Key, Is.EqualTo(x.f.Flow.Key), $"{x.f} written as {string.Join(",", x.Rewritten.Select(e => e.Field?.Name ?? "raw"))}");
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// <paramref name="e"/> with an explicit all-ones mask (OVS's mf_set treats it as exact) and/or
    /// the field's other header, NXM for OXM or back (nx_pull_raw maps both to one field).
    /// </summary>
    private static OxmEntry Rewrite(OxmEntry e, bool explicitMask, bool otherHeader)
    {
        if (e.Field is not { } f) return e;
        if (explicitMask && !e.HasMask && f.Maskable)
        {
            e = e with { HasMask = true, Mask = e.ValueLength >= 16 ? UInt128.MaxValue : (UInt128.One << (e.ValueLength * 8)) - 1 };
        }
        if (otherHeader && f.NxmName is not null && f.OxmName is not null && f.NxmClass != 0xffff && f.OxmClass != 0xffff)
        {
            bool isOxm = e.Class == f.OxmClass && e.FieldCode == f.OxmField;
            e = isOxm ? e with { Class = f.NxmClass, FieldCode = f.NxmField } : e with { Class = f.OxmClass, FieldCode = f.OxmField };
        }
        return e;
    }
}
