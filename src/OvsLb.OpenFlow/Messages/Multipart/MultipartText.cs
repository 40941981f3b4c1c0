using System.Text;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>Helpers for multipart bodies whose text OVS may end with a decode error.</summary>
internal static class MultipartText
{
    /// <summary>
    /// Where a body's text starts for <see cref="Text.OfpPrinter.DecodeError(StringBuilder, int, OfpMessage, string)"/>:
    /// ofp_to_string counts the <c> flags=[more]</c> that ofp_print_stats printed as output before the
    /// error (which then goes on its own line), so with flags the part counts as already started.
    /// </summary>
    public static int PartStart(StringBuilder s, MultipartMessage m) => m.Flags != MultipartFlags.None ? 0 : s.Length;
}
