using OvsLb.OpenFlow.Match;

namespace OvsLb.Pipeline;

/// <summary>
/// One table of the pipeline, as data: its number, the name the docs and the <c>flows</c> command use,
/// why it exists, the fields its flows may match and write, and where a packet may go next. The
/// declaration is what <see cref="PipelineConformance"/> holds every built flow to, so a flow that
/// matches, writes or jumps somewhere undeclared is a failing test, not a surprise in a dump.
/// </summary>
public sealed class PipelineTable
{
    private IReadOnlyList<PipelineTable> _next = [];
    private IReadOnlyList<PipelineTable> _learnsInto = [];

    public PipelineTable(byte id, string name, string purpose)
    {
        Id = id;
        Name = name;
        Purpose = purpose;
    }

    public byte Id { get; }
    public string Name { get; }
    public string Purpose { get; }

    /// <summary>Fields this table's flows may match (prerequisites such as eth_type included).</summary>
    public required IReadOnlySet<MfId> Matches { get; init; }

    /// <summary>Fields this table's flows (and the buckets of groups they use) may write: set_field, load, move destinations.</summary>
    public required IReadOnlySet<MfId> Sets { get; init; }

    /// <summary>The outputs a flow of this table may end in.</summary>
    public required TableExit Exits { get; init; }

    /// <summary>True when this table's flows may rate-limit with the meter instruction (the meter must be in the same state).</summary>
    public bool Meters { get; init; }

    /// <summary>Tables a flow here may continue in: goto_table, resubmit (also from a group bucket).</summary>
    public IReadOnlyList<PipelineTable> Next => _next;

    /// <summary>Tables whose flows a learn action here may write.</summary>
    public IReadOnlyList<PipelineTable> LearnsInto => _learnsInto;

    /// <summary>Declares the edges; called once per table while <see cref="LbPipeline"/> is initialised.</summary>
    internal void Connect(PipelineTable[] next, PipelineTable[]? learnsInto = null)
    {
        _next = next;
        _learnsInto = learnsInto ?? [];
    }

    /// <summary>The declaration in one line, as <c>flows/README.md</c> shows it under each table.</summary>
    public string Describe() =>
        $"matches: {Names(Matches)}; sets: {Names(Sets)}; next: {(Next.Count == 0 ? "-" : string.Join(", ", Next.Select(t => t.Name)))}; exits: {Exits}" +
        (Meters ? "; meters" : "") +
        (LearnsInto.Count == 0 ? "" : $"; learns into: {string.Join(", ", LearnsInto.Select(t => t.Name))}");

    private static string Names(IReadOnlySet<MfId> ids) =>
        ids.Count == 0 ? "-" : string.Join(", ", ids.Select(id => FieldTable.Get(id).Name).Order(StringComparer.Ordinal));

    public override string ToString() => $"table={Id} ({Name})";
}
