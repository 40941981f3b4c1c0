namespace OvsLb.Runtime.Session;

/// <summary>
/// Lifecycle of a switch connection:
/// <code>
/// Hello ──► Features ──► Configuring ──► Role ──┬─► Reconciling ──► Ready ◄──┐
///   │          │             │            │     │        │            │     │ desired state changed:
///   └──────────┴─────────────┴────────────┴─────┴────────┴────────────┴──┐  └ reconcile again
///                                                   Standby (SLAVE) ─────┤
///                                                                        ▼
///                                                                      Closed
/// </code>
/// Any state goes to Closed on error, timeout, missed echoes or a close by either side.
/// </summary>
public enum SessionState
{
    Hello,
    Features,
    Configuring,
    Role,
    Reconciling,
    Ready,
    Standby,
    Closed,
}
