using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// An in-process controller with a recording logger, on a loopback port, or with <paramref name="inMemory"/> on an
/// <see cref="InMemoryTransport"/> (no socket: switches connect with <see cref="ConnectFakeAsync"/>), for tests whose
/// subject is the session and not the wire.
/// </summary>
public sealed class RunningController : IAsyncDisposable
{
    public RunningController(SwitchState desired, Action<ControllerOptions>? configure = null, ISwitchEvents? events = null, bool inMemory = false, ITransport? transport = null,
        ISwitchRoles? roles = null)
    {
        Options = new ControllerOptions { Listen = ["127.0.0.1:0"], EchoInterval = TimeSpan.FromSeconds(3), HandshakeTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(Options);
        Desired = new StaticDesiredState(desired);
        Memory = inMemory ? new InMemoryTransport() : null;
        Controller = new SwitchServer(Options, Desired, events, Log.Factory(), transport: Memory ?? transport, roles: roles);
        Controller.StartAsync().GetAwaiter().GetResult();
    }

    /// <summary>The in-memory transport the controller listens on; null on TCP.</summary>
    public InMemoryTransport? Memory { get; }

    /// <summary>Connects a <see cref="FakeSwitch"/>: over the in-memory transport when there is one, else over TCP.</summary>
    public async Task<FakeSwitch> ConnectFakeAsync(FakeSwitchOptions options) =>
        Memory is { } memory ? FakeSwitch.Over(memory.Connect(), options) : await FakeSwitch.ConnectAsync(Controller.LocalEndpoints[0], options);

    public ControllerOptions Options { get; }
    public StaticDesiredState Desired { get; }
    public RecordingLoggerProvider Log { get; } = new();
    public SwitchServer Controller { get; }
    public int Port => Controller.LocalEndpoints[0].Port;
    public string Target => $"tcp:127.0.0.1:{Port}";

    /// <summary>Waits until a switch with this datapath id is Ready (or Standby) and returns its session.</summary>
    public SwitchSession WaitReady(ulong dpid, TimeSpan? timeout = null)
    {
        SwitchSession? s = null;
        bool ok = ProcessRunner.WaitUntil(() => Controller.Sessions.TryGetValue(dpid, out s) && s.State is SessionState.Ready or SessionState.Standby && s.LastReconcile is not null || (s?.State == SessionState.Standby),
            timeout ?? TimeSpan.FromSeconds(15));
        Assert.That(ok, Is.True, $"switch {dpid:x16} not ready; log:\n{string.Join("\n", Log.Lines.TakeLast(30))}");
        return s!;
    }

    public async ValueTask DisposeAsync() => await Controller.DisposeAsync();
}

/// <summary>Desired states used by the runtime tests.</summary>
public static class TestStates
{
    public static readonly CookieLayout Cookies = new(CookieLayout.DefaultSignature);

    /// <summary>Patch port 1 and port 2 together (both directions), plus a drop-all table miss.</summary>
    public static SwitchState Patch(uint a = 1, uint b = 2, int extraFlows = 0) => SwitchState.Create(
        [
            Flow(100, new OfpMatch(OxmEntry.For(MfId.InPortOxm, a)), new OutputAction(b), 1),
            Flow(100, new OfpMatch(OxmEntry.For(MfId.InPortOxm, b)), new OutputAction(a), 2),
            .. Enumerable.Range(0, extraFlows).Select(i => Flow(10, new OfpMatch(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.Ipv4Dst, 0x0a640000u + (uint)i)), new OutputAction(b), (ulong)(100 + i))),
        ],
        []);

    public static FlowEntry Flow(ushort priority, OfpMatch match, OfpAction action, ulong objectId, byte table = 0) => new()
    {
        TableId = table,
        Priority = priority,
        Match = match,
        Cookie = Cookies.Make(1, objectId),
        Instructions = [new ApplyActionsInstruction(action)],
    };
}
