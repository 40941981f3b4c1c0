namespace OvsLb.Pipeline;

/// <summary>Where a table's flows may send a packet, besides the pipeline tables in <see cref="PipelineTable.Next"/>.</summary>
[Flags]
public enum TableExit
{
    None = 0,
    /// <summary>A flow with no output (an empty action list).</summary>
    Drop = 1,
    /// <summary><c>NORMAL</c>: the bridge's own L2 switching.</summary>
    Normal = 2,
    /// <summary><c>IN_PORT</c>: back out of the port the packet came in on.</summary>
    InPort = 4,
    /// <summary><c>CONTROLLER</c>: a packet-in.</summary>
    Controller = 8,
    /// <summary><c>output:N</c> to a numbered port (or, in a learned flow, the port held in a field).</summary>
    Output = 16,
    /// <summary><c>group:N</c>: a select group, whose buckets continue in this table's <see cref="PipelineTable.Next"/>.</summary>
    Group = 32,
    /// <summary><c>learn(...)</c>: the flow writes flows into the tables in <see cref="PipelineTable.LearnsInto"/>.</summary>
    Learn = 64,
}
