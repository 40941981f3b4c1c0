using OvsLb.Pipeline.Config;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Live;

/// <summary>
/// Base of the fixtures whose tests share one topology and one running load balancer (built once: a topology
/// takes seconds). The fixture calls <see cref="StartLab"/> from its <c>[OneTimeSetUp]</c>; everything is torn down
/// after its last test, and at once if the set-up fails half way.
/// </summary>
public abstract class LiveLbFixture
{
    private LbTopology? _topo;
    private LiveLoadBalancer? _live;

    protected LbTopology Topo => _topo ?? throw new InvalidOperationException("no topology: StartLab was not called or failed");
    protected LiveLoadBalancer Live => _live ?? throw new InvalidOperationException("no load balancer: StartLab was not called or failed");

    /// <summary>
    /// Builds <paramref name="spec"/>, runs <paramref name="prepare"/> on it (hold VIPs, start servers), then starts the
    /// load balancer for <paramref name="config"/> (see <see cref="LiveLoadBalancer.Start(LbTopology, string, BuildSettings?, bool)"/>).
    /// </summary>
    protected void StartLab(TopologySpec spec, string config, Action<LbTopology>? prepare = null, BuildSettings? settings = null) =>
        _topo = LbTopology.Start(spec, topo =>
        {
            prepare?.Invoke(topo);
            _live = LiveLoadBalancer.Start(topo, config, settings);
        });

    [OneTimeTearDown]
    public async Task StopLab()
    {
        try
        {
            if (_live is not null) await _live.DisposeAsync();
        }
        finally
        {
            _topo?.Dispose();
        }
    }
}
