namespace OvsLb.Cluster;

/// <summary>
/// What <see cref="MastershipCoordinator"/> needs of the OpenFlow side, by datapath id (the controller implements it
/// over its switch server; tests can fake it). Keeps this project free of the runtime.
/// </summary>
public interface ISwitchMastership
{
    /// <summary>Closes the switch's write gate at once, with no OpenFlow exchange (mastership lost).</summary>
    void StopWriting(ulong datapathId);

    /// <summary>
    /// ROLE_REQUEST MASTER with <paramref name="generationId"/>, then a reconcile reading the switch back (nothing is
    /// sent when it already holds the desired state). True when the switch accepted; false when it refused (STALE)
    /// or is not connected.
    /// </summary>
    Task<bool> PromoteAsync(ulong datapathId, ulong generationId);

    /// <summary>Closes the write gate and asks for SLAVE at the switch's current generation id.</summary>
    Task DemoteAsync(ulong datapathId);
}
