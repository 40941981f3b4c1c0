using OvsLb.Runtime.Transport;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// The transports <c>ovslb</c> offers beyond the runtime's own: "dotnetty" (<see cref="DotNettyTransport"/>), selected by
/// <c>Controller:Transport=dotnetty</c>. The runtime cannot reference the DotNetty project (it references the runtime), so the
/// host registers it in <see cref="Transports"/> before any setting is validated: at the start of every verb and of every host built.
/// </summary>
public static class HostTransports
{
    /// <summary>Registers the host's transports; repeated calls change nothing.</summary>
    public static void Register() => Transports.Register(DotNettyTransport.TransportName, () => new DotNettyTransport());
}
