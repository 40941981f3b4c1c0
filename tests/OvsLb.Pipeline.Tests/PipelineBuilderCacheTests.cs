using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// <see cref="BuildCache"/> only saves work: over random sequences of changes to each golden scenario
/// (backends held down and released, ports going down and up or removed, weights, services added and
/// removed, the bucket count, a bridge's LB MAC, the cookie signature, slot tables recovered from a
/// switch), every bridge's plan built with the cache kept from step to step equals, text for
/// text, the plan built without one from the same inputs; and unchanged services come back as the same
/// instances, which is what makes the reconciler's diff cheap.
/// </summary>
[TestFixture]
public sealed class PipelineBuilderCacheTests
{
    /// <summary>One change: its kind and the numbers that pick what it applies to.</summary>
    public sealed record Change(int Kind, int A, int B, int C);

    private static readonly Gen<Change[]> Changes =
        Gen.ArrayOf(
            from kind in Gen.Choose(0, 10)
            from a in Gen.Choose(0, 1000)
            from b in Gen.Choose(0, 1000)
            from c in Gen.Choose(1, 4)
            select new Change(kind, a, b, c)).Where(cs => cs.Length <= 40);

    [TestCaseSource(typeof(Scenario), nameof(Scenario.Names))]
    public void A_cached_build_equals_an_uncached_build_of_the_same_inputs_over_random_changes(string name)
    {
        var scenario = Scenario.Load(name);
        Prop.ForAll(Changes.ToArbitrary(), changes =>
        {
            var run = new Run(scenario);
            run.Step(null); // the first build of every bridge
            foreach (var c in changes) run.Step(c);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void An_unchanged_service_keeps_its_group_and_flow_instances_and_a_changed_one_gets_new_ones()
    {
        var s = Scenario.Load("translate");
        var bridge = s.Config.Bridges[0];
        var cache = new BuildCache();
        var first = PipelineBuilder.Build(s.Config, s.View(bridge), null, cache);
        var slots = first.Services.ToDictionary(p => p.Service.Name, p => (IReadOnlyList<string?>)p.SlotKeys);
        var view = s.View(bridge, down: new HashSet<string> { "api/b1" }) with { PreviousSlots = slots };
        var second = PipelineBuilder.Build(s.Config, view, null, cache);

        var (api, dns) = (first.Services[0].GroupId, first.Services[1].GroupId);
        FlowEntry ServiceFlow(BridgePlan p, string proto) => p.State.Flows.Values.Single(f => f.TableId == LbPipeline.Service.Id && f.Priority > 0 && f.Text.Contains(proto));
        FlowEntry[] ReturnFlows(BridgePlan p) => p.State.Flows.Values.Where(f => f.TableId == LbPipeline.Return.Id && f.Priority > 0).OrderBy(f => f.Text).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That((cache.LastHits, cache.LastMisses), Is.EqualTo((1, 1)), "dns is unchanged, api lost a backend");
            FlowEntry[] SlotFlows(BridgePlan p) => p.State.Flows.Values.Where(f => f.TableId == LbPipeline.Slot.Id && f.Priority > 0).OrderBy(f => f.Text).ToArray();
            Assert.That(second.State.Groups.ContainsKey(dns), Is.False, "dns (UDP) picks by multipath and slot flows, not a group");
            Assert.That(SlotFlows(second).Zip(SlotFlows(first)).All(p => ReferenceEquals(p.First, p.Second)), Is.True, "dns's slot flows are the same instances");
            Assert.That(ReferenceEquals(second.Services[1], first.Services[1]), Is.True, "dns's plan is the same instance");
            Assert.That(ReferenceEquals(ServiceFlow(second, "udp"), ServiceFlow(first, "udp")), Is.True, "dns's service flow is the same instance");
            Assert.That(ReturnFlows(second).Zip(ReturnFlows(first)).All(p => ReferenceEquals(p.First, p.Second)), Is.True, "the return-path flows are the same instances");

            Assert.That(second.State.Groups[api].Text, Is.Not.EqualTo(first.State.Groups[api].Text), "api's group changed");
            Assert.That(ReferenceEquals(ServiceFlow(second, "tcp"), ServiceFlow(first, "tcp")), Is.False, "api's part was rebuilt");
            Assert.That(ServiceFlow(second, "tcp").Text, Is.EqualTo(ServiceFlow(first, "tcp").Text));
        });
    }

    /// <summary>A scenario under change: its configuration, held-down backends and port states, each bridge's cache and slot tables.</summary>
    private sealed class Run(Scenario scenario)
    {
        private LoadBalancerConfig _config = scenario.Config;
        private readonly HashSet<string> _down = new(StringComparer.Ordinal);
        private readonly HashSet<(string Bridge, uint Port)> _portsDown = [];
        private readonly HashSet<(string Bridge, uint Port)> _portsGone = [];
        private BuildSettings _settings = BuildSettings.Default;
        private readonly Dictionary<string, BuildCache> _caches = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, IReadOnlyList<string?>>> _slots = new(StringComparer.Ordinal);
        private int _added;

        public void Step(Change? c)
        {
            if (c is not null) Apply(c);
            foreach (var bridge in _config.Bridges)
            {
                var slots = _slots.TryGetValue(bridge.Name, out var had) ? had : _slots[bridge.Name] = new(StringComparer.Ordinal);
                var view = scenario.View(bridge, no => !_portsDown.Contains((bridge.Name, no)), _down.ToHashSet(StringComparer.Ordinal));
                view = view with
                {
                    Ports = view.Ports.Where(p => !_portsGone.Contains((bridge.Name, p.Key))).ToDictionary(),
                    PreviousSlots = new Dictionary<string, IReadOnlyList<string?>>(slots, StringComparer.Ordinal),
                };
                var cache = _caches.TryGetValue(bridge.Name, out var k) ? k : _caches[bridge.Name] = new BuildCache();
                var cached = PipelineBuilder.Build(_config, view, _settings, cache);
                var fresh = PipelineBuilder.Build(_config, view, _settings);
                AssertSame(cached, fresh, $"{scenario.Name}, bridge {bridge.Name}, after {c?.ToString() ?? "the first build"}");
                foreach (var sp in cached.Services.Where(p => p.SlotKeys.Count > 0)) slots[sp.Service.Name] = sp.SlotKeys;
            }
        }

        private void Apply(Change c)
        {
            var services = _config.Services.ToList();
            switch (c.Kind)
            {
                case 0 when services.Count > 0: // a check holds a backend down, or releases it
                    var s = services[c.A % services.Count];
                    var id = PipelineBuilder.BackendId(s, s.Backends[c.B % s.Backends.Length]);
                    if (!_down.Remove(id)) _down.Add(id);
                    break;
                case 1: // a port goes down or comes back (PORT_STATUS)
                    var ports = scenario.Ports.SelectMany(kv => kv.Value.Select(p => (kv.Key, p.No))).ToList();
                    var port = ports[c.A % ports.Count];
                    if (!_portsDown.Remove(port)) _portsDown.Add(port);
                    break;
                case 2 when services.Count > 0: // a reload changes a backend's weight
                    int i = c.A % services.Count;
                    int j = c.B % services[i].Backends.Length;
                    services[i] = services[i] with { Backends = services[i].Backends.Select((b, k) => k == j ? b with { Weight = c.C } : b).ToArray() };
                    break;
                case 3 when services.Count > 0: // a reload removes a service
                    services.RemoveAt(c.A % services.Count);
                    break;
                case 4: // a reload adds a service: a copy of a scenario service on a new VIP, or a removed one back
                    var model = scenario.Config.Services[c.A % scenario.Config.Services.Length];
                    if (model.Mode == ServiceMode.PortGroup || services.Any(x => x.Name == model.Name))
                    {
                        if (!services.Any(x => x.Name == model.Name)) services.Add(model);
                        break;
                    }
                    int n = ++_added;
                    // New VIPs of the model's families (validation refuses two services on one VIP, protocol and port).
                    services.Add(model with
                    {
                        Name = $"added{n}",
                        Vip = model.Vip is null ? null : Ipv4Address.Parse(string.Create(CultureInfo.InvariantCulture, $"10.9.{n / 250}.{n % 250 + 1}")),
                        Vip6 = model.Vip6 is null ? null : Ipv6Address.Parse(string.Create(CultureInfo.InvariantCulture, $"fd09::{n:x}")),
                    });
                    break;
                case 5: // a reload changes the bucket count (previous slot tables no longer fit)
                    int[] sizes = [16, 64, 256];
                    _config = _config with { Options = _config.Options with { Buckets = sizes[c.A % sizes.Length] } };
                    break;
                case 6: // a port is removed from its bridge, or added back
                    var all = scenario.Ports.SelectMany(kv => kv.Value.Select(p => (kv.Key, p.No))).ToList();
                    var gone = all[c.A % all.Count];
                    if (!_portsGone.Remove(gone)) _portsGone.Add(gone);
                    break;
                case 7: // a reload gives a bridge another LB MAC, or its own back
                    var bridges = _config.Bridges.ToArray();
                    int bi = c.A % bridges.Length;
                    var own = scenario.Config.Bridges[bi].LbMac;
                    bridges[bi] = bridges[bi] with { LbMac = bridges[bi].LbMac == own ? new MacAddress(0x02_00_00_00_ee_00UL + (ulong)bi) : own };
                    _config = _config with { Bridges = bridges };
                    break;
                case 8: // another controller identity (cookie signature)
                    _settings = _settings with { Cookies = new CookieLayout(_settings.Cookies.Signature == CookieLayout.DefaultSignature ? (ushort)0x1234 : CookieLayout.DefaultSignature) };
                    break;
                case 9: // slot tables recovered from the switches (a controller restart): here, each bridge's table of one service rotated
                    if (services.Count == 0) break;
                    var rotated = services[c.A % services.Count].Name;
                    foreach (var slots in _slots.Values)
                    {
                        if (slots.TryGetValue(rotated, out var keys)) slots[rotated] = keys.Skip(c.B % keys.Count).Concat(keys.Take(c.B % keys.Count)).ToArray();
                    }
                    break;
                default: // nothing changed: the bridge is re-planned anyway (e.g. an unrelated port status)
                    break;
            }
            _config = _config with { Services = services.ToArray() };
        }
    }

    private static void AssertSame(BridgePlan cached, BridgePlan fresh, string what)
    {
        Assert.That(cached.State.FlowLines(), Is.EqualTo(fresh.State.FlowLines()), $"{what}: flows");
        Assert.That(cached.State.GroupLines(), Is.EqualTo(fresh.State.GroupLines()), $"{what}: groups");
        Assert.That(cached.Warnings, Is.EqualTo(fresh.Warnings), $"{what}: warnings");
        Assert.That(cached.Services.Select(Describe), Is.EqualTo(fresh.Services.Select(Describe)), $"{what}: service plans");
        for (int i = 0; i < cached.Services.Count; i++)
        {
            Assert.That(cached.Services[i].Service, Is.SameAs(fresh.Services[i].Service), $"{what}: the plan names this build's configuration objects");
        }
    }

    private static string Describe(ServicePlan p) =>
        $"{p.Service.Name} group={p.GroupId} live=[{string.Join(",", p.LiveBackends.Select(b => b.Name))}] answered={p.Answered} master={p.Master?.Name} slots=[{string.Join(",", p.SlotKeys)}]";
}
