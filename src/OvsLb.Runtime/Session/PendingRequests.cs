using System.Collections.Concurrent;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;

namespace OvsLb.Runtime.Session;

/// <summary>A request the switch refused: the OFPT_ERROR it answered with, and the request itself.</summary>
public sealed class OpenFlowErrorException(ErrorMessage error, OfpMessage? request)
    : Exception($"switch refused {request?.OvsName ?? "a request"} (xid=0x{error.Xid:x}): {error.Name}{(request is null ? "" : $"\n  request: {request}")}")
{
    public ErrorMessage Error { get; } = error;
    public OfpMessage? Request { get; } = request;
}

/// <summary>
/// Requests waiting for their reply, by xid. Multipart replies are gathered across MORE-flagged
/// parts and completed as one combined reply; an OFPT_ERROR with the same xid faults the request.
/// A ring of recently sent messages lets an error for a fire-and-forget message name that message.
/// </summary>
internal sealed class PendingRequests
{
    private sealed class Pending(OfpMessage request)
    {
        public OfpMessage Request { get; } = request;
        public TaskCompletionSource<OfpMessage> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<MultipartReply>? Parts;
    }

    private readonly ConcurrentDictionary<uint, Pending> _pending = new();
    private readonly OfpMessage?[] _recent = new OfpMessage?[4096];
    private int _xid;

    /// <summary>Requests of a connection whose first message (the HELLO) had <paramref name="lastXid"/>: <see cref="NextXid"/> continues after it.</summary>
    public PendingRequests(uint lastXid) => _xid = (int)lastXid;

    public uint NextXid()
    {
        uint x = (uint)Interlocked.Increment(ref _xid);
        return x == 0 ? (uint)Interlocked.Increment(ref _xid) : x;
    }

    /// <summary>Remembers a sent message so a later error can name it.</summary>
    public void Sent(OfpMessage m) => _recent[m.Xid % (uint)_recent.Length] = m;

    /// <summary>The sent message with this xid, if still remembered.</summary>
    public OfpMessage? FindSent(uint xid) => _recent[xid % (uint)_recent.Length] is { } m && m.Xid == xid ? m : null;

    public Task<OfpMessage> Register(OfpMessage request)
    {
        var p = new Pending(request);
        if (!_pending.TryAdd(request.Xid, p)) throw new InvalidOperationException($"xid 0x{request.Xid:x} is already pending");
        return p.Reply.Task;
    }

    public void Forget(uint xid) => _pending.TryRemove(xid, out _);

    /// <summary>Offers an incoming message; true when it was the (final part of the) reply to a pending request.</summary>
    public bool TryComplete(OfpMessage m)
    {
        if (!_pending.TryGetValue(m.Xid, out var p)) return false;
        if (m is ErrorMessage error)
        {
            _pending.TryRemove(m.Xid, out _);
            p.Reply.TrySetException(new OpenFlowErrorException(error, p.Request));
            return true;
        }
        if (m is MultipartReply part)
        {
            if (part.More)
            {
                (p.Parts ??= []).Add(part);
                return true;
            }
            _pending.TryRemove(m.Xid, out _);
            if (p.Parts is { Count: > 0 } parts)
            {
                parts.Add(part);
                p.Reply.TrySetResult(MultipartReply.Combine(parts));
            }
            else
            {
                p.Reply.TrySetResult(part);
            }
            return true;
        }
        _pending.TryRemove(m.Xid, out _);
        p.Reply.TrySetResult(m);
        return true;
    }

    /// <summary>Fails every pending request (the connection closed).</summary>
    public void FailAll(Exception reason)
    {
        foreach (var (xid, p) in _pending)
        {
            if (_pending.TryRemove(xid, out _)) p.Reply.TrySetException(reason);
        }
    }
}
