using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Bundles;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Messages.Nicira;

namespace OvsLb.Runtime.Session;

/// <summary>A write to a switch whose write gate is closed (this instance just lost its mastership of it): nothing was sent.</summary>
public sealed class WriteGateClosedException(string message) : InvalidOperationException(message);

public sealed partial class SwitchSession
{
    private volatile bool _writesAllowed = true;

    /// <summary>
    /// The write gate: when closed, no message that changes the switch leaves this session, whatever the role the
    /// switch holds. Closing it needs no OpenFlow exchange, so an instance that loses its mastership (its lease
    /// expired, another instance won the election) stops writing at once, even before a SLAVE request can go out.
    /// Open by default (single instance).
    /// </summary>
    public bool WritesAllowed => _writesAllowed;

    /// <summary>Opens or closes the write gate (see <see cref="WritesAllowed"/>).</summary>
    public void AllowWrites(bool allow)
    {
        if (_writesAllowed == allow) return;
        _writesAllowed = allow;
        _log.LogInformation("Writes {State}", allow ? "allowed again" : "stopped (write gate closed)");
    }

    /// <summary>Messages that change the switch: what OVS refuses from a SLAVE, plus the connection-tracker flush.</summary>
    internal static bool IsWrite(OfpMessage m) =>
        m is FlowMod or GroupMod or PortMod or TableMod or MeterMod or PacketOut or BundleControl or BundleAdd or CtFlush;

    private void CheckWriteGate(OfpMessage m)
    {
        if (IsWrite(m) && (!_writesAllowed || !_roles.MayWrite(DatapathId)))
        {
            throw new WriteGateClosedException($"not sending {m.OvsName} to {DatapathIdText}: the write gate is closed (this instance is not master of it)");
        }
    }
}
