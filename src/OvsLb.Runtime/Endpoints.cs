using System.Net;

namespace OvsLb.Runtime;

/// <summary>Parsing of "ADDRESS:PORT" endpoints, and of OpenFlow listen addresses "[tcp:|ssl:]ADDRESS:PORT".</summary>
public static class Endpoints
{
    public static bool TryParse(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (IPEndPoint.TryParse(text, out var ep) && text.Contains(':'))
        {
            endpoint = ep;
            return true;
        }
        return false;
    }

    public static IPEndPoint Parse(string text) =>
        TryParse(text, out var ep) ? ep : throw new FormatException($"'{text}' is not ADDRESS:PORT");

    /// <summary>
    /// An OpenFlow listen address: <c>tcp:ADDRESS:PORT</c>, <c>ssl:ADDRESS:PORT</c> (the spellings of
    /// <c>ovs-vsctl set-controller</c> targets), or a bare <c>ADDRESS:PORT</c>, which is plain TCP.
    /// </summary>
    public static bool TryParseListen(string text, out ListenEndpoint listen)
    {
        listen = null!;
        var (tls, rest) = text.StartsWith("ssl:", StringComparison.OrdinalIgnoreCase) ? (true, text[4..])
            : text.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase) ? (false, text[4..])
            : (false, text);
        if (!TryParse(rest, out var ep)) return false;
        listen = new ListenEndpoint(ep, tls);
        return true;
    }

    public static ListenEndpoint ParseListen(string text) =>
        TryParseListen(text, out var l) ? l : throw new FormatException($"'{text}' is not [tcp:|ssl:]ADDRESS:PORT");
}

/// <summary>One OpenFlow listener: where, and whether switches connect with TLS (<c>ssl:</c>).</summary>
public sealed record ListenEndpoint(IPEndPoint Endpoint, bool Tls)
{
    /// <summary>As the switch's <c>set-controller</c> target spells it: <c>tcp:127.0.0.1:6653</c>, <c>ssl:[::1]:6653</c>.</summary>
    public override string ToString() => (Tls ? "ssl:" : "tcp:") + Endpoint;
}
