using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Measurement;

/// <summary>One flow of the disruption measurement: a distinct TCP 5-tuple to the VIP and the dp_hash the datapath gave it.</summary>
public readonly record struct HashedTuple(uint SrcIp, ushort SrcPort, uint DpHash);

/// <summary>
/// A dummy-datapath OVS bridge holding one direct-mode service whose backends sit behind local
/// dummy ports, plus the configurations and traces the disruption measurement needs.
/// <para>
/// <b>Why trace only 256 values.</b> OVS 3.1's default selection method for a select group is
/// dp_hash with at most 256 hash values (ofproto-dpif.c group_set_selection_method), and
/// ofproto-dpif-xlate.c pick_dp_hash_select_group indexes its table with <c>dp_hash &amp; hash_mask</c>
/// (walking to the next slot while a bucket is dead). A trace given a non-zero <c>dp_hash</c> picks the
/// bucket directly (dp_hash 0 means "not computed yet" and recirculates instead), and its megaflow
/// prints the dp_hash bits the decision depended on. When that mask lies inside the low 8 bits, one
/// trace per low byte gives the backend of every flow.
/// </para>
/// </summary>
public sealed class DisruptionLab : IDisposable
{
    public const string Vip = "10.0.0.100";
    public const string LbMac = "02:00:00:00:00:fe";
    public const uint Uplink = 1;
    public const int Buckets = 256;
    public const string ServiceName = "web";

    private readonly OvsSandbox _ovs;
    private readonly OvsUnixctl _ctl;

    public string Bridge { get; }
    public ulong DatapathId { get; }
    public int MaxBackends { get; }

    /// <summary>Time spent in <c>ofproto/trace</c> (all calls) and how many traces ran.</summary>
    public TimeSpan TraceTime { get; private set; }
    public int Traces { get; private set; }

    private DisruptionLab(OvsSandbox ovs, string bridge, ulong dpid, int maxBackends)
    {
        _ovs = ovs;
        Bridge = bridge;
        DatapathId = dpid;
        MaxBackends = maxBackends;
        _ctl = OvsUnixctl.Connect(ovs.VswitchdCtl);
    }

    /// <summary>A sandbox with bridge <c>br-dis</c>, uplink port 1 and backend ports 11..10+<paramref name="maxBackends"/>.</summary>
    public static DisruptionLab Start(int maxBackends)
    {
        var ovs = OvsSandbox.Start(dummy: true);
        try
        {
            const ulong dpid = 0xd15_0000_0001;
            string br = ovs.AddBridge("br-dis", dpid);
            ovs.AddDummyPort(br, "up1", (int)Uplink);
            for (int i = 1; i <= maxBackends; i++) ovs.AddDummyPort(br, BackendPortName(i), (int)BackendPort(i));
            return new DisruptionLab(ovs, br, dpid, maxBackends);
        }
        catch
        {
            ovs.Dispose();
            throw;
        }
    }

    public static uint BackendPort(int i) => (uint)(10 + i);
    public static string BackendPortName(int i) => $"s{i}";
    public static string BackendMac(int i) => $"02:00:00:00:01:{i:x2}";

    /// <summary>
    /// The load-balancer configuration with backends <paramref name="backends"/> (1-based indices), parsed and
    /// validated like a user's file. Stateless (<c>persistence: none</c>): the lab
    /// measures where flows land through the select group's slot table, which is what a new connection meets
    /// in every mode; persistence (which keeps established connections off the group) is measured with real
    /// connections elsewhere.
    /// </summary>
    public LoadBalancerConfig Config(IEnumerable<int> backends)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            { "options": { "buckets": {{Buckets}} },
              "bridges": [ { "name": "{{Bridge}}", "datapathId": "0x{{DatapathId:x16}}", "lbMac": "{{LbMac}}", "uplink": {{Uplink}} } ],
              "services": [ { "name": "{{ServiceName}}", "vip": "{{Vip}}", "protocol": "tcp", "port": 80, "mode": "direct", "persistence": "none", "backends": [
            """);
        sb.AppendJoin(",\n", backends.Select(i => $$"""    { "name": "b{{i}}", "ip": "10.0.1.{{i}}", "mac": "{{BackendMac(i)}}", "port": {{BackendPort(i)}} }"""));
        sb.Append("] } ] }");
        var r = ConfigLoader.Parse(sb.ToString());
        if (!r.IsValid) throw new InvalidDataException("generated configuration is invalid: " + string.Join("; ", r.Errors));
        return r.Config!;
    }

    /// <summary>The bridge as the controller sees it (every port up unless <paramref name="down"/>), with the previous slot table when given.</summary>
    public BridgeView View(IReadOnlyList<string>? previousSlots = null, uint? down = null)
    {
        var ports = new Dictionary<uint, PortDescription>
        {
            [0xfffffffe] = new PortDescription { PortNo = 0xfffffffe, Name = Bridge },
            [Uplink] = new PortDescription { PortNo = Uplink, Name = "up1", State = PortState.Live },
        };
        for (int i = 1; i <= MaxBackends; i++)
        {
            uint no = BackendPort(i);
            ports[no] = new PortDescription { PortNo = no, Name = BackendPortName(i), State = no == down ? PortState.LinkDown : PortState.Live };
        }
        var prev = new Dictionary<string, IReadOnlyList<string?>>();
        if (previousSlots is not null) prev[ServiceName] = previousSlots;
        return new BridgeView(DatapathId, Bridge, ports, new HashSet<string>(), prev);
    }

    /// <summary>
    /// "What OVS does on its own": the same group id with one weight-1 bucket per live backend (in
    /// configuration order), each bucket the builder's own direct-mode bucket.
    /// </summary>
    public static GroupEntry NaiveGroup(BridgePlan plan)
    {
        var svc = plan.Services.Single();
        var buckets = svc.LiveBackends.Select(b =>
        {
            var bb = ServiceFlows.DirectBucket(b.Mac!.Value, b.Port!.Value.Number);
            return new Bucket(1, bb.WatchPort ?? 0xffffffff, GroupId.Any, bb.Actions);
        }).ToArray();
        return new GroupEntry(svc.GroupId, GroupType.Select, buckets);
    }

    /// <summary>Loads a whole desired state into the empty bridge (groups first, each file one ovs-ofctl bundle).</summary>
    public void Install(SwitchState state)
    {
        string groups = Path.Combine(_ovs.Dir, "groups.txt"), flows = Path.Combine(_ovs.Dir, "flows.txt");
        File.WriteAllLines(groups, state.GroupLines());
        File.WriteAllLines(flows, state.FlowLines());
        _ovs.Ofctl("--bundle", "add-groups", Bridge, groups);
        _ovs.Ofctl("--bundle", "add-flows", Bridge, flows);
    }

    /// <summary>Replaces a group's buckets (OpenFlow 1.3 OFPGC_MODIFY) from its ovs-ofctl text.</summary>
    public void ModGroup(GroupEntry g) => _ovs.Ofctl("mod-group", Bridge, g.Text);

    public void SetPortDown(uint port, bool down) => _ovs.Ofctl("mod-port", Bridge, port.ToString(CultureInfo.InvariantCulture), down ? "down" : "up");

    public IReadOnlyList<string> DumpGroups() => _ovs.DumpGroups(Bridge);

    /// <summary>Traces one client packet per tuple from the uplink to the VIP through the installed pipeline.</summary>
    public IReadOnlyList<OvsTraceResult> Trace(IReadOnlyList<HashedTuple> tuples)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = OvsTrace.Run(_ctl, Bridge, tuples.Select(t =>
            $"in_port={Uplink},tcp,dl_src=02:00:00:00:00:01,dl_dst={LbMac},nw_src={new OvsLb.OpenFlow.Packets.Ipv4Address(t.SrcIp)},nw_dst={Vip},tp_src={t.SrcPort},tp_dst=80,dp_hash=0x{t.DpHash:x}"));
        TraceTime += sw.Elapsed;
        Traces += r.Count;
        return r;
    }

    /// <summary>
    /// 10,000-style sample: <paramref name="count"/> distinct TCP 5-tuples to the VIP (random client IP in
    /// 198.18.0.0/15 and source port), each with a uniform random non-zero 32-bit dp_hash (the datapath
    /// never computes 0), from a fixed seed.
    /// </summary>
    public static IReadOnlyList<HashedTuple> Tuples(int count, int seed)
    {
        var rng = new Random(seed);
        var seen = new HashSet<(uint, ushort)>();
        var list = new List<HashedTuple>(count);
        while (list.Count < count)
        {
            uint ip = 0xc612_0000u | (uint)rng.Next(0, 1 << 17);
            ushort port = (ushort)rng.Next(1024, 65536);
            if (!seen.Add((ip, port))) continue;
            uint h;
            do h = (uint)rng.NextInt64(0, 1L << 32); while (h == 0);
            list.Add(new HashedTuple(ip, port, h));
        }
        return list;
    }

    public void Dispose()
    {
        _ctl.Dispose();
        _ovs.Dispose();
    }
}
