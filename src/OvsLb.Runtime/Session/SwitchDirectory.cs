using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace OvsLb.Runtime.Session;

/// <summary>
/// The switches a controller has a session with (handshake finished), by datapath id. There is one
/// registry, kept by <see cref="SwitchServer"/> (it adds and removes sessions); an application
/// that needs to know which switches are connected (e.g. another bridge's ports, where to send a probe)
/// is given the same instance and reads it through <see cref="ISwitchHandle"/>, instead of keeping a
/// second registry from connect and disconnect events that could disagree with this one.
/// </summary>
public sealed class SwitchDirectory
{
    private readonly ConcurrentDictionary<ulong, SwitchSession> _sessions = new();

    public int Count => _sessions.Count;

    /// <summary>The connected switches now (a snapshot).</summary>
    public IReadOnlyList<ISwitchHandle> Connected => _sessions.Values.ToArray<ISwitchHandle>();

    public bool TryGet(ulong datapathId, [NotNullWhen(true)] out ISwitchHandle? handle)
    {
        bool found = _sessions.TryGetValue(datapathId, out var s);
        handle = s;
        return found;
    }

    /// <summary>The sessions themselves, for the runtime and its status readers.</summary>
    internal IReadOnlyDictionary<ulong, SwitchSession> Sessions => _sessions;

    /// <summary>Registers <paramref name="session"/>; returns the session it replaces for the same datapath id, if any.</summary>
    internal SwitchSession? Add(SwitchSession session)
    {
        SwitchSession? old = null;
        _sessions.AddOrUpdate(session.DatapathId, session, (_, existing) =>
        {
            old = ReferenceEquals(existing, session) ? null : existing;
            return session;
        });
        return old;
    }

    /// <summary>Removes <paramref name="session"/> if it is still the registered one for its datapath id.</summary>
    internal bool Remove(SwitchSession session) =>
        _sessions.TryRemove(new KeyValuePair<ulong, SwitchSession>(session.DatapathId, session));
}
