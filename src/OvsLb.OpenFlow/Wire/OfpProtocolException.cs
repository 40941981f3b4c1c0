namespace OvsLb.OpenFlow.Wire;

/// <summary>What was wrong with bytes received from a peer.</summary>
public enum OfpErrorKind
{
    /// <summary>The bytes end before a field or element they announce.</summary>
    Truncated,
    /// <summary>A header length is below its minimum, above the configured maximum, or disagrees with what it frames.</summary>
    BadLength,
    /// <summary>The header version is not OpenFlow 1.3 (0x04) on a message other than HELLO.</summary>
    BadVersion,
    /// <summary>The message type is not one this codec knows.</summary>
    BadType,
    /// <summary>The multipart type is not one this codec knows.</summary>
    BadMultipart,
    /// <summary>An OXM/NXM match entry is malformed.</summary>
    BadMatch,
    /// <summary>An action is malformed.</summary>
    BadAction,
    /// <summary>An instruction is malformed.</summary>
    BadInstruction,
    /// <summary>A field holds a value the specification does not allow.</summary>
    BadValue,
}

/// <summary>
/// A typed protocol error raised while decoding OpenFlow bytes. It names what was wrong and
/// where (byte offset inside the message), and maps to the OFPT_ERROR type/code a switch
/// or controller would answer with (OpenFlow 1.3.5 §7.4.4).
/// </summary>
public sealed class OfpProtocolException : Exception
{
    public OfpProtocolException(OfpErrorKind kind, string message, int offset = -1, string? errorName = null)
        : base(offset >= 0 ? $"{message} (at byte {offset})" : message)
    {
        Kind = kind;
        Offset = offset;
        ErrorName = errorName;
    }

    /// <summary>
    /// The OVS name of the precise OpenFlow error when it is more specific than <see cref="Kind"/>
    /// (e.g. OFPBFC_MSG_UNSUP for a bundle inside a bundle), else null.
    /// </summary>
    public string? ErrorName { get; }

    public OfpErrorKind Kind { get; }

    /// <summary>Byte offset inside the message where the problem was found, or -1.</summary>
    public int Offset { get; }

    /// <summary>OFPT_ERROR type and code that describe this problem to the peer.</summary>
    public (ushort Type, ushort Code) OpenFlowError => Kind switch
    {
        OfpErrorKind.BadVersion => (1, 0),      // OFPET_BAD_REQUEST / OFPBRC_BAD_VERSION
        OfpErrorKind.BadType => (1, 1),         // OFPBRC_BAD_TYPE
        OfpErrorKind.BadMultipart => (1, 2),    // OFPBRC_BAD_MULTIPART
        OfpErrorKind.BadLength or OfpErrorKind.Truncated => (1, 6), // OFPBRC_BAD_LEN
        OfpErrorKind.BadAction => (2, 0),       // OFPET_BAD_ACTION / OFPBAC_BAD_TYPE
        OfpErrorKind.BadInstruction => (3, 0),  // OFPET_BAD_INSTRUCTION / OFPBIC_UNKNOWN_INST
        OfpErrorKind.BadMatch => (4, 0),        // OFPET_BAD_MATCH / OFPBMC_BAD_TYPE
        _ => (1, 6),
    };
}
