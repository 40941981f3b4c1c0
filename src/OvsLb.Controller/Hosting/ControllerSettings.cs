using OvsLb.Pipeline;
using OvsLb.Runtime;
using OvsLb.State;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// The one mapping from the <c>Controller</c> section to the builder's settings, shared by
/// <c>ovslb run</c> and the debugging verbs so they compute the same flows (cookie signature, owned group ids).
/// </summary>
public static class ControllerSettings
{
    /// <summary><see cref="BuildSettings.Default"/> with the cookie signature and owned group-id range of <paramref name="o"/>.</summary>
    public static BuildSettings ToBuildSettings(this ControllerOptions o) => BuildSettings.Default with
    {
        Cookies = new CookieLayout(o.CookieSignature), GroupIdFirst = o.OwnedGroupIdFirst, GroupIdLast = o.OwnedGroupIdLast,
    };
}
