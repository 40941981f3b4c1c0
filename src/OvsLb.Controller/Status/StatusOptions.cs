using System.Net;
using OvsLb.Runtime;

namespace OvsLb.Controller.Status;

/// <summary>
/// The <c>Status</c> configuration section: where the read-only HTTP status endpoint of
/// <c>ovslb run</c> listens (<c>GET /status</c>, <c>GET /metrics</c>). It is on by default and bound
/// to the loopback address, because it has no authentication: it shows the topology, VIPs and
/// backend addresses to whoever can connect.
/// </summary>
public sealed class StatusOptions
{
    public const string Section = "Status";

    /// <summary>The default endpoint: loopback only.</summary>
    public const string DefaultListen = "127.0.0.1:9100";

    /// <summary>Serve the endpoint at all (<c>--Status:Enabled=false</c> turns it off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>"ADDRESS:PORT" to listen on; port 0 picks a free port (logged at start).</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>Problems with the settings, each naming the setting and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Enabled && !Endpoints.TryParse(Listen, out _))
        {
            errors.Add($"Status:Listen: '{Listen}' is not ADDRESS:PORT (e.g. 127.0.0.1:9100)");
        }
        return errors;
    }

    /// <summary>The endpoint to bind (valid settings only).</summary>
    public IPEndPoint Endpoint => Endpoints.Parse(Listen);
}

/// <summary>The status endpoint could not start (bad setting, port taken, no permission); the message says which and what to do.</summary>
public sealed class StatusEndpointException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
