using System.Net;

namespace OvsLb.Runtime;

/// <summary>Parsing of "ADDRESS:PORT" listen endpoints.</summary>
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
}
