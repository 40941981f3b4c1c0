using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_POP_QUEUE (5): restore the queue the packet had before the last <c>set_queue</c>. OpenFlow 1.0's
/// <c>enqueue:PORT:QUEUE</c> becomes <c>set_queue:QUEUE,output:PORT,pop_queue</c> in OpenFlow 1.3, so the
/// queue choice does not leak into later outputs. Prints <c>pop_queue</c>.
/// <code>
/// struct nx_action_header {
///     ovs_be16 type, len;    /* 0xffff, 16 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 5 */
///     uint8_t pad[6];
/// };
/// </code>
/// </summary>
public sealed record PopQueueAction : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.PopQueue);
        w.WriteZeros(6);
    }

    /// <summary>decode_NXAST_RAW_POP_QUEUE (lib/ofp-actions.c).</summary>
    internal static PopQueueAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "pop_queue", at);
        NxWire.Zeros(ref r, 6, "pop_queue: pad", at);
        return new PopQueueAction();
    }

    public override void Format(StringBuilder s) => s.Append("pop_queue");
}
