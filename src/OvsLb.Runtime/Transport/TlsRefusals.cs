using System.Net.Sockets;
using System.Security.Authentication;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// Why an <c>ssl:</c> peer was refused before its OpenFlow session, worded once for both transports (the pipelines transport's
/// <see cref="TlsAccept"/> and the DotNetty transport's TLS handler), so the log lines are the same whichever carries the switches.
/// </summary>
internal static class TlsRefusals
{
    /// <summary>The first byte of every TLS handshake: a record of content type handshake (22).</summary>
    public const byte HandshakeRecord = 0x16;

    public const string ClosedBeforeHandshake = "peer closed the connection before the TLS handshake";

    public static string NotFinishedWithin(TimeSpan timeout) => $"TLS handshake not finished within {timeout.TotalSeconds:0.#}s";

    /// <summary>
    /// A handshake that failed with <paramref name="e"/> when the certificate check (<see cref="TlsPeerCheck"/>) did not refuse:
    /// AuthenticationException, IOException, SocketException mostly (their messages say it); any other type is named.
    /// </summary>
    public static string HandshakeFailed(Exception e, TlsCredentials credentials)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } one) e = one.InnerExceptions[0];
        return $"TLS handshake failed: {(e is AuthenticationException or IOException or SocketException ? "" : e.GetType().Name + ": ")}{Describe(e, credentials)}";
    }

    /// <summary>
    /// The exception's message with its inner ones (OpenSSL's reason, e.g. "tlsv1 alert unknown ca", is in an inner one),
    /// and what to check when the switch refused our certificate.
    /// </summary>
    private static string Describe(Exception e, TlsCredentials credentials)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (!parts.Contains(x.Message) && !x.Message.Contains("see inner exception", StringComparison.Ordinal)) parts.Add(x.Message);
        }
        string text = string.Join(": ", parts);
        // The switch's alert: it does not trust the certificate we presented.
        if (text.Contains("alert unknown ca", StringComparison.Ordinal) || text.Contains("alert bad certificate", StringComparison.Ordinal)
            || text.Contains("alert certificate unknown", StringComparison.Ordinal))
        {
            text += $" (the switch refused our certificate '{credentials.Certificate.Subject}': the CA certificate of its set-ssl must be the one that issued it, ovs-pki's controllerca/cacert.pem)";
        }
        return text;
    }

    /// <summary>A peer whose first bytes <paramref name="head"/> are not a TLS handshake record; names a plain OpenFlow switch as one.</summary>
    public static string NotTls(ReadOnlySpan<byte> head)
    {
        string hex = Convert.ToHexString(head).ToLowerInvariant();
        // OpenFlow's header: version 1..6, then type 0 (OFPT_HELLO) for the first message.
        bool openFlow = head.Length >= 2 && head[0] is >= 1 and <= 6 && head[1] == 0;
        return openFlow
            ? $"not a TLS peer: plain OpenFlow on an ssl: listener (first bytes {hex}, an OFPT_HELLO); is the switch's target tcp: instead of ssl:?"
            : $"not a TLS peer: first bytes {hex} are not a TLS handshake record";
    }
}
