using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.State;

namespace OvsLb.Runtime;

/// <summary>
/// Runtime settings, bound from the "Controller" configuration section. Every value is checked by
/// <see cref="Validate"/> at start-up; a bad value stops the controller with a message naming it.
/// </summary>
public sealed class ControllerOptions
{
    public const string Section = "Controller";

    public const string DefaultListen = "0.0.0.0:6653";

    /// <summary>
    /// Endpoints to accept switch connections on, "ADDRESS:PORT" ("0.0.0.0:6653", "[::]:6653",
    /// "127.0.0.1:0"), optionally prefixed "tcp:" (the same) or "ssl:" (mutual TLS, see <see cref="Tls"/>).
    /// Empty means <see cref="DefaultListen"/>. (Empty by default because the
    /// configuration binder appends to a list that already has items.)
    /// </summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>The endpoints actually used.</summary>
    public IReadOnlyList<string> EffectiveListen => Listen.Count == 0 ? [DefaultListen] : Listen;

    /// <summary>
    /// What carries OpenFlow to the switches: "pipelines" (System.IO.Pipelines over TCP sockets, the
    /// default), or another one the host registered ("dotnetty" in <c>ovslb</c>). See <see cref="Transport.Transports"/>.
    /// </summary>
    public string Transport { get; set; } = Runtime.Transport.Transports.Default;

    /// <summary>Key, certificate and CA of the <c>ssl:</c> listeners (section <c>Controller:Tls</c>); required when there is one.</summary>
    public TlsSettings Tls { get; set; } = new();

    /// <summary>Largest OpenFlow message accepted; a header announcing more closes the connection.</summary>
    public int MaxMessageLength { get; set; } = 65535;

    /// <summary>
    /// Time allowed from TCP accept to a finished handshake (HELLO, FEATURES, PORT_DESC, role). On an <c>ssl:</c> listener
    /// the TLS handshake has this long, and the OpenFlow handshake after it this long again.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After this long without any message from a switch we send an ECHO_REQUEST; if nothing arrives
    /// for another interval the switch is declared dead and disconnected (detection within 2 intervals).
    /// </summary>
    public TimeSpan EchoInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout for one request/reply exchange (FEATURES, multipart, role, bundle control).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Messages that may wait to be sent to one switch; a switch that stops reading is disconnected.</summary>
    public int OutboundQueueLimit { get; set; } = 65536;

    /// <summary>How long a full outbound queue may stay full before the switch is disconnected.</summary>
    public TimeSpan SendStallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Role this instance asks for on every switch (several instances: one Master, others Slave).</summary>
    public ControllerRole Role { get; set; } = ControllerRole.Equal;

    /// <summary>Generation id sent with MASTER/SLAVE role requests; a newer master must use a larger one.</summary>
    public ulong GenerationId { get; set; }

    /// <summary>High 16 bits of every cookie this controller writes; flows with other cookies are not ours.</summary>
    public ushort CookieSignature { get; set; } = CookieLayout.DefaultSignature;

    /// <summary>Delete flows whose cookie is not ours too (the controller owns the whole table).</summary>
    public bool ManageForeignFlows { get; set; }

    /// <summary>Group ids from this value up to <see cref="OwnedGroupIdLast"/> belong to this controller.</summary>
    public uint OwnedGroupIdFirst { get; set; } = Ownership.Default.GroupIdFirst;

    public uint OwnedGroupIdLast { get; set; } = Ownership.Default.GroupIdLast;

    /// <summary>
    /// The one mapping from these settings to what this controller owns (cookie signature, group id
    /// range, foreign flows): the reconciler and, through <c>BuildSettings.For</c>, the flow builder use
    /// it, so the flows built and the flows deleted agree on whose they are.
    /// </summary>
    public Ownership Ownership => new(new CookieLayout(CookieSignature), OwnedGroupIdFirst, OwnedGroupIdLast, ManageForeignFlows);

    /// <summary>Problems with the settings, each naming the setting and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        bool ssl = false;
        foreach (var l in EffectiveListen)
        {
            if (!Endpoints.TryParseListen(l, out var listen)) errors.Add($"Controller:Listen: '{l}' is not ADDRESS:PORT, tcp:ADDRESS:PORT or ssl:ADDRESS:PORT");
            else ssl |= listen.Tls;
        }
        if (!Runtime.Transport.Transports.IsKnown(Transport))
        {
            errors.Add($"Controller:Transport: '{Transport}' is not one of {string.Join(", ", Runtime.Transport.Transports.Names)}");
        }
        // The files are read whenever a TLS setting is given, so a wrong path is found before a switch needs it.
        if (ssl || Tls.Configured) Tls.Load(errors);
        if (MaxMessageLength is < 64 or > 65535) errors.Add($"Controller:MaxMessageLength: {MaxMessageLength} is outside 64..65535");
        if (HandshakeTimeout <= TimeSpan.Zero) errors.Add($"Controller:HandshakeTimeout: {HandshakeTimeout} must be positive");
        if (EchoInterval < TimeSpan.FromMilliseconds(50)) errors.Add($"Controller:EchoInterval: {EchoInterval} is below 50 ms");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"Controller:RequestTimeout: {RequestTimeout} must be positive");
        if (OutboundQueueLimit < 16) errors.Add($"Controller:OutboundQueueLimit: {OutboundQueueLimit} is below 16");
        if (SendStallTimeout <= TimeSpan.Zero) errors.Add($"Controller:SendStallTimeout: {SendStallTimeout} must be positive");
        if (Role is not (ControllerRole.Equal or ControllerRole.Master or ControllerRole.Slave)) errors.Add($"Controller:Role: {Role} must be Equal, Master or Slave");
        if (CookieSignature == 0) errors.Add("Controller:CookieSignature: 0 would make every cookie-less flow ours");
        if (OwnedGroupIdFirst > OwnedGroupIdLast || OwnedGroupIdLast > 0xffffff00) errors.Add($"Controller:OwnedGroupIdFirst/Last: 0x{OwnedGroupIdFirst:x}..0x{OwnedGroupIdLast:x} is not a valid group id range");
        return errors;
    }
}
