using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Bundles;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>A bundle the switch refused; nothing of it was applied.</summary>
public sealed class BundleFailedException(string message) : Exception(message);

public sealed partial class SwitchSession
{
    private readonly SemaphoreSlim _reconcileLock = new(1, 1);
    private uint _bundleId;

    /// <summary>
    /// What this controller believes the switch holds: read back on connect, then updated after each
    /// committed bundle. Null until the first read.
    /// </summary>
    public SwitchState? Installed { get; private set; }

    public ReconcileResult? LastReconcile { get; private set; }

    /// <summary>FLOW_MOD and GROUP_MOD messages sent by reconciliation since connect (inside bundles).</summary>
    public long FlowModsSent { get; private set; }
    public long GroupModsSent { get; private set; }
    public long BundleCommits { get; private set; }

    /// <summary>METER_MOD messages sent by reconciliation since connect (outside bundles: OVS does not bundle them).</summary>
    public long MeterModsSent { get; private set; }

    private BundleErrorSink? BundleErrors { get; set; }

    /// <summary>
    /// Reconciliations of this session that failed in a row: the controller's retry backoff
    /// (<see cref="SwitchServer"/>) counts them here, and a success resets it. Held by the session so
    /// it goes when the session does.
    /// </summary>
    internal int ReconcileFailures;

    /// <summary>Reads the switch's flows (all tables), groups and meters (none when the switch has no meter table).</summary>
    public async Task<SwitchState> ReadInstalledAsync(CancellationToken ct = default)
    {
        var flows = await RequestAsync<FlowStatsReply>(new FlowStatsRequest(), ct).ConfigureAwait(false);
        var groups = await RequestAsync<GroupDescReply>(new EmptyMultipartRequest(MultipartType.GroupDesc), ct).ConfigureAwait(false);
        IEnumerable<MeterEntry> meters = [];
        try
        {
            var m = await RequestAsync<MeterConfigReply>(new MeterConfigRequest(), ct).ConfigureAwait(false);
            meters = m.Entries.Select(MeterEntry.From);
        }
        catch (OpenFlowErrorException e) when (e.Error.ErrorType == 1) // OFPET_BAD_REQUEST: a switch without meters
        {
            _log.LogDebug("{Dpid} does not list meters ({Error}): taken as none", DatapathIdText, e.Error.Name);
        }
        return SwitchState.Create(flows.Entries.Select(FlowEntry.From), groups.Entries.Select(GroupEntry.From), meters);
    }

    /// <summary>
    /// Makes the switch hold <paramref name="desired"/>: reads the installed state when it is not known
    /// (or <paramref name="readBack"/>), computes the difference and applies it in one ordered, atomic
    /// ONF bundle. An unchanged desired state sends no FLOW_MOD or GROUP_MOD. Throws
    /// <see cref="BundleFailedException"/> when the switch refuses the bundle (nothing applied).
    /// </summary>
    public Task<ReconcileResult> ReconcileAsync(SwitchState desired, bool readBack = false, CancellationToken ct = default) =>
        ReconcileAsync(_ => desired, readBack, ct);

    /// <summary>
    /// As <see cref="ReconcileAsync(SwitchState, bool, CancellationToken)"/>, with the desired state computed
    /// from the installed one (read back first when needed), under the reconcile lock: a policy can keep
    /// what the switch already has (e.g. a group's bucket assignment after a controller restart).
    /// <paramref name="committed"/> is called with the desired state once the switch holds it (bundle
    /// committed, or nothing to change), still under the lock, and never when the reconcile fails.
    /// </summary>
    public async Task<ReconcileResult> ReconcileAsync(Func<SwitchState, SwitchState> desiredFromInstalled, bool readBack = false, CancellationToken ct = default,
        Action<SwitchState>? committed = null)
    {
        await _reconcileLock.WaitAsync(ct).ConfigureAwait(false);
        var sw = Stopwatch.StartNew();
        try
        {
            if (!CanWrite) throw new InvalidOperationException($"{DatapathIdText} is in role {Role}: this instance does not write to it");
            var prev = State;
            State = SessionState.Reconciling;
            bool read = readBack || Installed is null;
            if (read) Installed = await ReadInstalledAsync(ct).ConfigureAwait(false);
            var desired = desiredFromInstalled(Installed!);
            var diff = StateDiff.Compute(desired, Installed!, Ownership);
            int flowMods = diff.FlowAdds.Count + diff.FlowDeletes.Count;
            int groupMods = diff.GroupAdds.Count + diff.GroupMods.Count + diff.GroupDeletes.Count;
            MeterModsSent += diff.MeterCount;
            if (!diff.IsEmpty)
            {
                try
                {
                    // Meters first (flows of the bundle may use them) and apart: OVS does not take METER_MOD in a bundle.
                    await ApplyUnbundledAsync(diff.MeterMessagesBefore().ToList(), ct).ConfigureAwait(false);
                    var bundled = diff.ToMessages().ToList();
                    if (bundled.Count > 0) await ApplyBundleAsync(bundled, ct).ConfigureAwait(false);
                    await ApplyUnbundledAsync(diff.MeterMessagesAfter().ToList(), ct).ConfigureAwait(false);
                }
                catch (OpenFlowErrorException e) when (IsSecondaryError(e.Error))
                {
                    // A MASTER request from another controller demoted us and the role status has not
                    // arrived yet (or was lost): the switch refused the bundle, nothing was written.
                    SetRole(ControllerRole.Slave, "switch refused a write: another controller is master");
                    throw;
                }
                catch (BundleFailedException) when (diff.MeterCount > 0)
                {
                    // Meter mods are applied outside the bundle: what the switch holds now is read back next time.
                    Installed = null;
                    throw;
                }
                catch (Exception e) when (e is not BundleFailedException)
                {
                    // A timeout or lost connection mid-bundle: the switch may or may not have committed
                    // it, so what we think is installed is unknown; the next reconcile reads it back.
                    Installed = null;
                    throw;
                }
                Installed = StateDiff.Apply(Installed!, desired, Ownership);
                FlowModsSent += flowMods;
                GroupModsSent += groupMods;
                BundleCommits++;
                _metrics.BundleCommitted(this);
            }
            committed?.Invoke(desired);
            State = prev is SessionState.Reconciling ? SessionState.Ready : prev == SessionState.Role ? SessionState.Ready : prev;
            if (Role == ControllerRole.Slave) State = SessionState.Standby;
            var result = new ReconcileResult(diff, read, sw.Elapsed, diff.IsEmpty ? 0 : flowMods, diff.IsEmpty ? 0 : groupMods);
            LastReconcile = result;
            _metrics.Reconciled(this, result.Duration); // the same figure as LastReconcile (status endpoint)
            if (diff.IsEmpty && !read) _log.LogDebug("Reconciled in {Ms:0.0} ms: no change", sw.Elapsed.TotalMilliseconds);
            else _log.LogInformation("Reconciled in {Ms:0.0} ms{ReadBack}: {Diff}", sw.Elapsed.TotalMilliseconds,
                read ? $" (read back {Installed!.Flows.Count} flows, {Installed.Groups.Count} groups, {Installed.Meters.Count} meters)" : "", diff.IsEmpty ? "no change" : diff.ToString());
            return result;
        }
        finally
        {
            // A failed reconciliation (bundle refused, timeout) must not leave the session "Reconciling".
            if (State == SessionState.Reconciling) State = Role == ControllerRole.Slave ? SessionState.Standby : SessionState.Ready;
            _reconcileLock.Release();
        }
    }

    /// <summary>
    /// Messages a bundle cannot carry (meter mods), sent one by one and followed by a barrier; an error
    /// answering any of them fails the reconcile as a refused bundle does (what went before it stays applied,
    /// and the next reconcile reads the switch back).
    /// </summary>
    private async Task ApplyUnbundledAsync(IReadOnlyList<OfpMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0) return;
        var sink = new BundleErrorSink();
        BundleErrors = sink;
        try
        {
            foreach (var m in messages)
            {
                var sent = m with { Xid = _pending.NextXid() };
                sink.Expect(sent);
                Send(sent);
            }
            await BarrierAsync(ct).ConfigureAwait(false);
            if (!sink.IsEmpty)
            {
                Installed = null;
                throw Fail(sink, "applied (meters)");
            }
        }
        finally
        {
            BundleErrors = null;
        }
    }

    /// <summary>
    /// OPEN (ATOMIC|ORDERED), one BUNDLE_ADD per message, a barrier to collect add errors, then COMMIT
    /// (or DISCARD when an add was refused). Errors name the offending message.
    /// </summary>
    private async Task ApplyBundleAsync(IReadOnlyList<OfpMessage> messages, CancellationToken ct)
    {
        uint id = ++_bundleId;
        const BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered;
        await RequestAsync(BundleControl.Open(id, flags), ct).ConfigureAwait(false);
        var sink = new BundleErrorSink();
        BundleErrors = sink;
        try
        {
            foreach (var m in messages)
            {
                var inner = m with { Xid = _pending.NextXid() };
                sink.Expect(inner);
                Send(BundleAdd.Wrap(id, inner, flags));
            }
            await BarrierAsync(ct).ConfigureAwait(false);
            if (!sink.IsEmpty)
            {
                await RequestAsync(BundleControl.Discard(id, flags), ct).ConfigureAwait(false);
                throw Fail(sink, "added");
            }
            try
            {
                await RequestAsync(BundleControl.Commit(id, flags), ct).ConfigureAwait(false);
            }
            catch (OpenFlowErrorException e)
            {
                throw Fail(sink, "committed", e.Error);
            }
        }
        finally
        {
            BundleErrors = null;
        }
    }

    private BundleFailedException Fail(BundleErrorSink sink, string stage, ErrorMessage? commitError = null)
    {
        var lines = sink.Describe().ToList();
        if (commitError is not null) lines.Add($"commit: {commitError.Name}");
        var text = $"bundle of {sink.Count} messages could not be {stage}; nothing was applied:\n  " + string.Join("\n  ", lines);
        _log.LogError("{Failure}", text);
        return new BundleFailedException(text);
    }

    /// <summary>Collects errors answering the messages of the bundle being applied.</summary>
    private sealed class BundleErrorSink
    {
        private readonly ConcurrentDictionary<uint, OfpMessage> _sent = new();
        private readonly ConcurrentQueue<ErrorMessage> _errors = new();

        public int Count => _sent.Count;
        public bool IsEmpty => _errors.IsEmpty;

        public void Expect(OfpMessage m) => _sent[m.Xid] = m;

        public bool TryAdd(ErrorMessage e)
        {
            if (!_sent.ContainsKey(e.Xid)) return false;
            _errors.Enqueue(e);
            return true;
        }

        public IEnumerable<string> Describe() =>
            _errors.Select(e => $"{e.Name} for {(_sent.TryGetValue(e.Xid, out var m) ? Text(m) : $"xid 0x{e.Xid:x}")}");

        /// <summary>
        /// A flow as dump-flows prints it: ofp-print text would show a flow OVS cannot decode (the
        /// usual reason for a refusal, e.g. a backwards goto_table) only as a hex dump.
        /// </summary>
        private static string Text(OfpMessage m) =>
            m is FlowMod fm ? $"{m.OvsName} {fm.Command} (xid=0x{m.Xid:x}): {FlowEntry.From(fm).Text}" : m.ToString();
    }
}
