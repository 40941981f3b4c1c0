using System.Collections.Frozen;
using System.Text;
using OvsLb.OpenFlow.Text;

namespace OvsLb.OpenFlow.Messages;

/// <summary>OVS names for OpenFlow 1.3 errors and the error text ofp-print shows (ofperr_msg_format).</summary>
public static partial class ErrorNames
{
    private static class Index
    {
        public static readonly FrozenDictionary<(ushort, ushort, uint), string> ByCode =
            s_table.ToFrozenDictionary(e => (e.Type, e.Code, e.Experimenter), e => e.Name);

        public static readonly FrozenDictionary<string, (ushort Type, ushort Code, uint Experimenter)> ByName =
            s_table.ToFrozenDictionary(e => e.Name, e => (e.Type, e.Code, e.Experimenter));
    }

    public static string Name(ushort type, ushort code, uint experimenter = 0) =>
        Index.ByCode.TryGetValue((type, code, type == 0xffff ? experimenter : 0), out var n) ? n
        : type == 0xffff ? $"experimenter error 0x{experimenter:x8}/{code}" : $"error type {type} code {code}";

    /// <summary>The (type, code, experimenter) of a named error, e.g. "OFPBRC_BAD_TYPE".</summary>
    public static (ushort Type, ushort Code, uint Experimenter) Code(string name) => Index.ByName[name];

    internal static void Format(StringBuilder s, ErrorMessage e)
    {
        if (!Index.ByCode.TryGetValue((e.ErrorType, e.Code, e.IsExperimenter ? e.Experimenter : 0), out var name))
        {
            // ofp_print_error_msg: an error OVS cannot name is reported as a decode error of the ERROR itself.
            OfpPrinter.DecodeError(s, e, "OFPBRC_BAD_LEN");
            return;
        }
        s.Append(' ').Append(name).Append('\n');
        if (name is "OFPHFC_INCOMPATIBLE" or "OFPHFC_EPERM")
        {
            foreach (var b in e.Data.Span) s.Append(b is >= 32 and < 127 ? (char)b : '.');
            return;
        }
        s.Append(OfpPrinter.PrintBytes(e.Data.Memory, verbosity: 1));
    }
}
