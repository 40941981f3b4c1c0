namespace OvsLb.State;

/// <summary>
/// A flow's identity in a switch (OpenFlow 1.3.5 §6.4: table, priority and match). The match is held
/// as OVS's canonical text, so a flow read back from the switch (OVS re-encodes matches in its own
/// order) has the same key as the flow we asked for.
/// </summary>
public readonly record struct FlowKey(byte TableId, ushort Priority, string Match)
{
    public override string ToString() => $"table={TableId},priority={Priority},{Match}";
}
