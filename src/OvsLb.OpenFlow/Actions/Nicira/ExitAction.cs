using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_EXIT (17): stop executing actions here, including those of the tables that resubmitted to
/// this one (the action set is still executed). Prints <c>exit</c>.
/// <code>
/// struct nx_action_header {
///     ovs_be16 type, len;    /* 0xffff, 16 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 17 */
///     uint8_t pad[6];
/// };
/// </code>
/// </summary>
public sealed record ExitAction : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.Exit);
        w.WriteZeros(6);
    }

    internal static ExitAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "exit", at);
        NxWire.Zeros(ref r, 6, "exit: pad", at);
        return new ExitAction();
    }

    public override void Format(StringBuilder s) => s.Append("exit");
}
