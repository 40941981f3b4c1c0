using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>
/// A memo for <see cref="PipelineBuilder.Build"/> on one bridge: each service's part of the plan (its
/// select group, flows, warnings and <see cref="ServicePlan"/>) and each translate-mode service's
/// return-path flows, kept with every input they were computed from.
/// <para>
/// <b>Why it exists.</b> The controller rebuilds a bridge's whole plan on every change (a port status,
/// a health flip, a reload), and a change usually touches one service. At 1,000 services × 256 buckets a
/// full build took ~0.1 s (Maglev updates, 256,000 buckets, 10,000 flow keys) and the diff another
/// ~0.15 s (formatting every group's and flow's text to compare it). With the memo, a service whose
/// inputs equal last build's gets last build's instances back: nothing is rehashed or rebuilt, and as
/// those are the very instances the session holds as installed, <see cref="StateDiff.Compute"/> passes
/// them over without formatting them. Figures: README.md, "Load-balancer pipeline: disruption and scale".
/// </para>
/// <para>
/// <b>Purity.</b> The builder stays a function of its arguments: a memo entry is used only when all its
/// inputs (<see cref="ServiceInputs"/>: the service, options, bridge, cookies, group id, uplink port, each
/// backend's port and liveness on this bridge, the previous slot table) equal this build's, so a build
/// with a memo equals one without (PipelineBuilderCacheTests checks it over random change sequences).
/// Entries a build did not use are dropped when it ends.
/// </para>
/// <para>
/// One per bridge, owned by whoever builds that bridge again and again (the load balancer of <c>ovslb run</c>, through <see cref="Planning.BridgePlanner"/>).
/// The builder locks it for the length of a build.
/// </para>
/// </summary>
public sealed class BuildCache
{
    private sealed record ServiceEntry(ServiceInputs Inputs, ServiceParts Parts, string[] BackendIds);

    private sealed record ReturnEntry(ServiceConfig Service, CookieLayout Cookies, string BridgeName, ReturnFlow[] Flows);

    private Dictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);
    private Dictionary<string, ReturnEntry> _returns = new(StringComparer.Ordinal);
    private Dictionary<string, ServiceEntry> _nextServices = new(StringComparer.Ordinal);
    private Dictionary<string, ReturnEntry> _nextReturns = new(StringComparer.Ordinal);
    private int _hits, _misses;

    /// <summary>Services whose part the last completed build took from the memo.</summary>
    public int LastHits { get; private set; }

    /// <summary>Services whose part the last completed build computed.</summary>
    public int LastMisses { get; private set; }

    /// <summary>Starts a build: entries it uses are carried into the next generation.</summary>
    internal void Begin()
    {
        _nextServices.Clear();
        _nextReturns.Clear();
        _hits = _misses = 0;
    }

    /// <summary>Ends a build: entries it did not use are dropped.</summary>
    internal void Commit()
    {
        (_services, _nextServices) = (_nextServices, _services);
        (_returns, _nextReturns) = (_nextReturns, _returns);
        _nextServices.Clear();
        _nextReturns.Clear();
        LastHits = _hits;
        LastMisses = _misses;
    }

    /// <summary>The health/down-set ids of <paramref name="s"/>'s backends (<see cref="PipelineBuilder.BackendId"/>), reused while the service is unchanged.</summary>
    internal string[] BackendIds(ServiceConfig s) =>
        _services.TryGetValue(s.Name, out var e) && e.Inputs.Service.Equals(s) ? e.BackendIds : PipelineBuilder.BackendIds(s);

    /// <summary>The service's part: last build's when the inputs are equal, else computed.</summary>
    internal ServiceParts Service(ServiceInputs x, string[] backendIds)
    {
        var name = x.Service.Name;
        ServiceParts parts;
        if (_services.TryGetValue(name, out var e) && Reusable(e, x))
        {
            _hits++;
            // Equal inputs, maybe other instances (a reload): the plan names this build's configuration objects.
            parts = ReferenceEquals(e.Inputs.Service, x.Service) ? e.Parts : e.Parts with { Plan = Rebind(e.Parts.Plan, x.Service) };
        }
        else
        {
            _misses++;
            parts = ServiceParts.Build(x);
        }
        // Kept under this build's inputs, so the next build compares references (e.g. the slot table just stored).
        _nextServices[name] = new ServiceEntry(x, parts, backendIds);
        return parts;
    }

    /// <summary>
    /// Last build's part serves this build when the inputs are equal, or differ only in that the previous
    /// slot table is the one last build produced (what the controller passes next): for the same live
    /// backends and weights, <see cref="Hashing.MaglevTable.Update"/> returns a table it made unchanged
    /// (MaglevTableTests.An_unchanged_backend_set_moves_nothing_and_balance_stays_exact), so the part would
    /// be the same. Without this every changed service would be rebuilt a second time on the next plan.
    /// </summary>
    private static bool Reusable(ServiceEntry e, ServiceInputs x) =>
        e.Inputs.SameApartFromSlots(x) && (ServiceInputs.SameSlots(e.Inputs.PreviousSlots, x.PreviousSlots)
            || (e.Parts.Plan.SlotKeys.Count > 0 && ServiceInputs.SameSlots(e.Parts.Plan.SlotKeys, x.PreviousSlots)));

    /// <summary>The translate-mode service's return-path flows on the bridge: last build's when the service, cookies and bridge are equal.</summary>
    internal ReturnFlow[] Returns(ServiceConfig s, CookieLayout c, string bridgeName)
    {
        var e = _returns.TryGetValue(s.Name, out var had) && had.Cookies == c && had.BridgeName == bridgeName && had.Service.Equals(s)
            ? (ReferenceEquals(had.Service, s) ? had : had with { Service = s })
            : new ReturnEntry(s, c, bridgeName, ServiceParts.ReturnFlows(s, c, bridgeName));
        _nextReturns[s.Name] = e;
        return e.Flows;
    }

    /// <summary>The plan for a service equal to the plan's: the same decisions, naming <paramref name="s"/>'s backend objects.</summary>
    private static ServicePlan Rebind(ServicePlan p, ServiceConfig s)
    {
        BackendConfig Same(BackendConfig b) => s.Backends.First(x => x.Name == b.Name);
        return p with { Service = s, LiveBackends = p.LiveBackends.Select(Same).ToList(), Master = p.Master is null ? null : Same(p.Master) };
    }
}
