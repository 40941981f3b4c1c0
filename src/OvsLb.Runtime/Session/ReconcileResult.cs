using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>What one reconciliation did.</summary>
public sealed record ReconcileResult(StateDiff Diff, bool ReadBack, TimeSpan Duration, int FlowModsSent, int GroupModsSent)
{
    public bool Changed => !Diff.IsEmpty;

    /// <summary>When the reconciliation finished (wall clock, for the status endpoint).</summary>
    public DateTimeOffset CompletedAt { get; init; } = DateTimeOffset.UtcNow;
}
