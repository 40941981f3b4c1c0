using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Bundles;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Testing;

/// <summary>The switch side of each message the fake answers.</summary>
public sealed partial class FakeSwitch
{
    private sealed class OpenBundle(BundleFlags flags)
    {
        public BundleFlags Flags { get; } = flags;
        public List<OfpMessage> Messages { get; } = [];
        public bool Closed { get; set; }
    }

    private readonly Dictionary<uint, OpenBundle> _bundles = [];

    private void Handle(OfpMessage m, ReadOnlyMemory<byte> raw)
    {
        if (Intercept?.Invoke(this, m) == true) return;
        switch (m)
        {
            case HelloMessage h:
                PeerHello = h;
                _helloSeen.TrySetResult();
                if (!h.Supports(OfpMessage.Version13)) Close();
                break;
            case EchoMessage { IsReply: false } echo:
                Send(echo.ReplyTo());
                break;
            case EchoMessage { IsReply: true } echoReply:
                if (_echoes.TryRemove(echoReply.Xid, out var waiter)) waiter.TrySetResult();
                break;
            case EmptyMessage { Kind: OfpType.FeaturesRequest }:
                Send(new FeaturesReply { Xid = m.Xid, DatapathId = DatapathId, NBuffers = 0, NTables = Options.Tables, Capabilities = 0x4f });
                _featuresAnswered.TrySetResult();
                break;
            case EmptyMessage { Kind: OfpType.BarrierRequest }:
                Send(EmptyMessage.BarrierReply(m.Xid));
                break;
            case EmptyMessage { Kind: OfpType.GetConfigRequest }:
                Send(new SwitchConfig(true, 0, MissSendLength) { Xid = m.Xid });
                break;
            case SwitchConfig { IsReply: false } config:
                MissSendLength = config.MissSendLength;
                break;
            case RoleMessage { IsReply: false } role:
                OnRoleRequest(role, raw);
                break;
            case MultipartRequest request:
                OnMultipartRequest(request, raw);
                break;
            case FlowMod flowMod:
                Interlocked.Increment(ref _flowMods);
                ApplyOrError(flowMod, raw);
                break;
            case GroupMod groupMod:
                Interlocked.Increment(ref _groupMods);
                ApplyOrError(groupMod, raw);
                break;
            case BundleControl control:
                OnBundleControl(control, raw);
                break;
            case BundleAdd add:
                OnBundleAdd(add, raw);
                break;
            case PacketOut packetOut:
                Interlocked.Increment(ref _packetOuts);
                PacketOutHandler?.Invoke(this, packetOut);
                break;
            default:
                OtherMessageHandler?.Invoke(this, m);
                break;
        }
    }

    /// <summary>OFPT_ERROR answering <paramref name="request"/>: its xid and (up to) its first 64 bytes, as OVS sends.</summary>
    public void SendError(string name, uint xid, ReadOnlySpan<byte> request)
    {
        var (type, code, experimenter) = ErrorNames.Code(name);
        Send(new ErrorMessage(type, code, new Bytes(request[..Math.Min(64, request.Length)].ToArray()), experimenter) { Xid = xid });
        Interlocked.Increment(ref _errorsSent);
    }

    private void OnRoleRequest(RoleMessage m, ReadOnlyMemory<byte> raw)
    {
        if (m.Role is ControllerRole.Master or ControllerRole.Slave)
        {
            // OVS (ofproto.c handle_role_request): a generation id older than the last one seen is stale.
            if (_lastGeneration is { } last && (long)(m.GenerationId - last) < 0)
            {
                SendError("OFPRRFC_STALE", m.Xid, raw.Span);
                return;
            }
            _lastGeneration = m.GenerationId;
        }
        if (m.Role != ControllerRole.NoChange) Role = m.Role;
        Send(new RoleMessage(true, Role, _lastGeneration ?? ulong.MaxValue) { Xid = m.Xid });
    }

    private void OnMultipartRequest(MultipartRequest m, ReadOnlyMemory<byte> raw)
    {
        switch (m)
        {
            case EmptyMultipartRequest { Kind: MultipartType.PortDesc }:
                Send(new PortDescReply { Xid = m.Xid, Entries = new EquatableArray<PortDescription>([.. _ports]) });
                break;
            case EmptyMultipartRequest { Kind: MultipartType.Desc }:
                Send(new DescReply("OvsLb", "FakeSwitch", "0", "", $"fake {DatapathId:x16}") { Xid = m.Xid });
                break;
            case EmptyMultipartRequest { Kind: MultipartType.GroupDesc }:
                SendParts(m.Xid, Groups, e => e.WireLength, (parts, flags) => new GroupDescReply { Xid = m.Xid, Flags = flags, Entries = parts });
                break;
            case MeterConfigRequest:
                Send(new MeterConfigReply { Xid = m.Xid }); // a switch with a meter table and no meters
                break;
            case FlowStatsRequest f:
                var flows = Flows.Where(e => (f.TableId == FlowMod.AllTables || e.TableId == f.TableId)
                    && (e.Cookie & f.CookieMask) == (f.Cookie & f.CookieMask) && FakeFlowTable.Covers(f.Match, e.Match)).ToList();
                SendParts(m.Xid, flows, e => e.WireLength, (parts, flags) => new FlowStatsReply { Xid = m.Xid, Flags = flags, Entries = parts });
                break;
            default:
                SendError("OFPBRC_BAD_STAT", m.Xid, raw.Span);
                break;
        }
    }

    /// <summary>Sends a list reply in parts of at most <see cref="FakeSwitchOptions.MaxReplyPart"/> bytes, all but the last flagged MORE.</summary>
    private void SendParts<T>(uint xid, IReadOnlyList<T> entries, Func<T, int> length, Func<EquatableArray<T>, MultipartFlags, OfpMessage> make)
    {
        var part = new List<T>();
        int bytes = 0;
        foreach (var e in entries)
        {
            int len = length(e);
            if (part.Count > 0 && bytes + len > Options.MaxReplyPart)
            {
                Send(make(new EquatableArray<T>([.. part]), MultipartFlags.More));
                part.Clear();
                bytes = 0;
            }
            part.Add(e);
            bytes += len;
        }
        Send(make(new EquatableArray<T>([.. part]), MultipartFlags.None));
    }

    private void ApplyOrError(OfpMessage m, ReadOnlyMemory<byte> raw)
    {
        string? error = m is GroupMod g ? g.CheckError() : null;
        if (error is null)
        {
            lock (_tableLock) error = _table.Apply(m);
        }
        if (error is not null) SendError(error, m.Xid, raw.Span);
    }

    private void OnBundleControl(BundleControl m, ReadOnlyMemory<byte> raw)
    {
        _bundles.TryGetValue(m.BundleId, out var bundle);
        switch (m.ControlType)
        {
            case BundleControlType.OpenRequest:
                if (bundle is not null)
                {
                    SendError("OFPBFC_BUNDLE_EXIST", m.Xid, raw.Span);
                    return;
                }
                _bundles[m.BundleId] = new OpenBundle(m.Flags);
                Reply(BundleControlType.OpenReply);
                return;
            case BundleControlType.CloseRequest when bundle is not null:
                bundle.Closed = true;
                Reply(BundleControlType.CloseReply);
                return;
            case BundleControlType.DiscardRequest when bundle is not null:
                _bundles.Remove(m.BundleId);
                Reply(BundleControlType.DiscardReply);
                return;
            case BundleControlType.CommitRequest when bundle is not null:
                _bundles.Remove(m.BundleId);
                if (Commit(bundle)) Reply(BundleControlType.CommitReply);
                else SendError("OFPBFC_MSG_FAILED", m.Xid, raw.Span);
                return;
            case BundleControlType.CloseRequest or BundleControlType.DiscardRequest or BundleControlType.CommitRequest:
                SendError("OFPBFC_BAD_ID", m.Xid, raw.Span);
                return;
            default:
                SendError("OFPBFC_BAD_TYPE", m.Xid, raw.Span);
                return;
        }

        void Reply(BundleControlType type) => Send(new BundleControl(m.BundleId, type, m.Flags) { Xid = m.Xid });
    }

    private void OnBundleAdd(BundleAdd m, ReadOnlyMemory<byte> raw)
    {
        if (m.CheckError() is { } error)
        {
            SendError(error, m.Xid, raw.Span);
            return;
        }
        if (!_bundles.TryGetValue(m.BundleId, out var bundle))
        {
            // OVS opens a bundle implicitly on the first add; the runtime always opens explicitly.
            bundle = _bundles[m.BundleId] = new OpenBundle(m.Flags);
        }
        if (bundle.Closed)
        {
            SendError("OFPBFC_BUNDLE_CLOSED", m.Xid, raw.Span);
            return;
        }
        if (m.Message is GroupMod g && g.CheckError() is { } groupError)
        {
            SendError(groupError, m.Xid, OfpEncoder.ToArray(m.Message));
            return;
        }
        bundle.Messages.Add(m.Message);
    }

    /// <summary>Applies the bundle to a copy of the tables, in order; the copy replaces the tables only if all succeed.</summary>
    private bool Commit(OpenBundle bundle)
    {
        lock (_tableLock)
        {
            var next = _table.Clone();
            foreach (var inner in bundle.Messages)
            {
                if (inner is FlowMod) Interlocked.Increment(ref _flowMods);
                if (inner is GroupMod) Interlocked.Increment(ref _groupMods);
                if (next.Apply(inner) is { } error)
                {
                    SendError(error, inner.Xid, OfpEncoder.ToArray(inner));
                    return false;
                }
            }
            _table = next;
        }
        Interlocked.Increment(ref _commits);
        return true;
    }
}
