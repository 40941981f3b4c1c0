using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

/// <summary>Which controller answers the packet-ins.</summary>
public enum PacketInTarget
{
    /// <summary>OvsLb.Runtime + <see cref="ArpResponder"/> in a child process (this program, mode packetin-controller).</summary>
    OvsLb,

    /// <summary>OvsLb.Runtime + <see cref="ArpResponder"/> in the generator's process (tests; CPU not separable).</summary>
    OvsLbInProcess,

    /// <summary>ovs-testcontroller, OVS's C learning switch.</summary>
    TestController,
}

/// <summary>One packet-in run: the load figures and the CPU each side used during the measured interval.</summary>
public sealed record PacketInRun(string Controller, PacketInLoadResult Load, TimeSpan? ControllerCpu, TimeSpan GeneratorCpu, string Placement);

/// <summary>
/// Packet-in path (cbench-style): <see cref="PacketInLoadGenerator"/> plays 16 switches sending ARP
/// requests in PACKET_INs with a fixed window outstanding, against our runtime answering each with an
/// ARP reply PACKET_OUT, and against ovs-testcontroller (its learning switch floods each ARP request
/// back in a PACKET_OUT); same machine, same load, same CPU placement.
/// </summary>
public static class PacketInBenchmark
{
    private const string PinnedMarker = "OVSLB_BENCH_PINNED";

    public static async Task<int> MainAsync(string[] args)
    {
        var a = new Options(args);
        string cpus = a.String("cpus", "split");
        if (cpus == "split" && Environment.GetEnvironmentVariable(PinnedMarker) is null)
        {
            // Generator on CPU 0, controller on CPU 1: run this program again under taskset -c 0.
            var (file, pre) = ProcessFacts.Self();
            var psi = new ProcessStartInfo("taskset") { UseShellExecute = false };
            foreach (var x in (string[])["-c", "0", file, .. pre, "packetin", .. args]) psi.ArgumentList.Add(x);
            psi.Environment[PinnedMarker] = "1";
            using var p = Process.Start(psi)!;
            await p.WaitForExitAsync();
            return p.ExitCode;
        }
        var load = new PacketInLoadOptions
        {
            Switches = a.Int("switches", 16),
            Window = a.Int("window", 100),
            Warmup = TimeSpan.FromSeconds(a.Double("warmup", 2)),
            Duration = TimeSpan.FromSeconds(a.Double("duration", 10)),
        };
        string? controllerCpus = cpus == "split" ? "1" : null;
        string[] tcArgs = a.String("tc-args", "-n").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // e.g. --controller-env DOTNET_gcConcurrent=0: runtime settings for our controller process only.
        var controllerEnv = a.String("controller-env", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        var targets = a.String("target", "all") switch
        {
            "all" => [PacketInTarget.OvsLb, PacketInTarget.TestController],
            "ovslb" => [PacketInTarget.OvsLb],
            "ovslb-inproc" => [PacketInTarget.OvsLbInProcess],
            "testcontroller" => (PacketInTarget[])[PacketInTarget.TestController],
            var t => throw new ArgumentException($"--target {t}: expected all, ovslb, ovslb-inproc or testcontroller"),
        };
        Console.WriteLine($"host: {ProcessFacts.Describe()}");
        Console.WriteLine($"placement: {(cpus == "split" ? "generator pinned to CPU 0 (taskset -c 0), controller pinned to CPU 1 (taskset -c 1)" : "no pinning: generator and controller share both CPUs")}");
        var transports = TransportRuns.Parse(a);
        int rounds = a.Int("rounds", 2);
        var runs = new List<PacketInRun>();
        var byTransport = new List<(string Transport, PacketInRun Run)>();
        foreach (var t in targets)
        {
            if (t == PacketInTarget.TestController)
            {
                Console.WriteLine($"{t}:");
                runs.Add(await RunAsync(t, load, controllerCpus, Console.Out, tcArgs, controllerEnv));
                continue;
            }
            // Our controller on each transport, alternating (p, d, p, d) so machine load hits both alike.
            foreach (var (round, transport) in TransportRuns.Order(transports, rounds))
            {
                Console.WriteLine($"{t} on {transport}, round {round}:");
                var r = await RunAsync(t, load, controllerCpus, Console.Out, tcArgs, controllerEnv, transport);
                runs.Add(r);
                byTransport.Add((transport, r));
            }
        }
        Print(runs, load, Console.Out);
        if (byTransport.Count > 0)
        {
            IReadOnlyList<double> Of(string tr, Func<PacketInLoadResult, double> f) => [.. byTransport.Where(x => x.Transport == tr).Select(x => f(x.Run.Load))];
            var tc = runs.FirstOrDefault(r => r.Controller.StartsWith("ovs-testcontroller", StringComparison.Ordinal));
            TransportRuns.PrintTable(Console.Out, $"packetin, {load.Switches} switches x window {load.Window}, {load.Duration.TotalSeconds:0.#} s measured, median of {rounds} round(s)", transports,
            [
                ("replies/s", true, tr => Of(tr, l => l.RepliesPerSecond), "/s"),
                ("p50 latency", false, tr => Of(tr, l => l.P50Micros), "µs"),
                ("p99 latency", false, tr => Of(tr, l => l.P99Micros), "µs"),
                .. (IEnumerable<(string, bool, Func<string, IReadOnlyList<double>>, string)>)(tc is null ? [] :
                [
                    ("replies/s over ovs-testcontroller's", true, tr => Of(tr, l => l.RepliesPerSecond / tc.Load.RepliesPerSecond), "x"),
                ]),
            ]);
        }
        return runs.All(r => r.Load.BadReplies == 0 && r.Load.Replies > 0) ? 0 : 1;
    }

    public static async Task<PacketInRun> RunAsync(PacketInTarget target, PacketInLoadOptions load, string? controllerCpus, TextWriter log,
        IEnumerable<string>? testControllerArgs = null, IReadOnlyDictionary<string, string>? controllerEnv = null, string transport = Transports.Default)
    {
        var placement = controllerCpus is null ? "shared CPUs" : $"controller on CPU {controllerCpus}, generator on CPU {ProcessFacts.AllowedCpus()}";
        TimeSpan genCpu0 = default, genCpu = default, ctlCpu0 = default;
        TimeSpan? ctlCpu = null;
        Func<TimeSpan>? controllerCpu = null;
        void OnMeasure(bool start)
        {
            if (start)
            {
                genCpu0 = ProcessFacts.CpuTime();
                ctlCpu0 = controllerCpu?.Invoke() ?? default;
            }
            else
            {
                genCpu = ProcessFacts.CpuTime() - genCpu0;
                if (controllerCpu is not null) ctlCpu = controllerCpu() - ctlCpu0;
            }
        }

        switch (target)
        {
            case PacketInTarget.OvsLbInProcess:
            {
                var responder = new ArpResponder();
                await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"], Transport = transport }, new StaticDesiredState(SwitchState.Empty), responder);
                await controller.StartAsync();
                bool Ready() => controller.Sessions.Count == load.Switches && controller.Sessions.Values.All(s => s.State == SessionState.Ready);
                var r = await PacketInLoadGenerator.RunAsync(controller.LocalEndpoints[0], load, Ready, log, OnMeasure);
                return new PacketInRun($"OvsLb.Runtime ({transport}) + ArpResponder (same process as generator)", r, null, genCpu, "one process, shared CPUs");
            }
            case PacketInTarget.OvsLb:
            {
                var (file, pre) = ProcessFacts.Self();
                var env = new Dictionary<string, string>(controllerEnv ?? new Dictionary<string, string>()) { [PinnedMarker] = "1" };
                using var child = ChildProcess.Start(file, [.. pre, "packetin-controller", "--transports", transport], controllerCpus, env);
                if (controllerEnv is { Count: > 0 }) log.WriteLine($"  controller environment: {string.Join(' ', controllerEnv.Select(p => $"{p.Key}={p.Value}"))}");
                int port = int.Parse((await child.WaitForLineAsync(@"^LISTENING (\d+)", TimeSpan.FromSeconds(30))).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                controllerCpu = () => child.CpuTime;
                bool Ready() => child.Stdout.Count(l => l.StartsWith("READY ", StringComparison.Ordinal)) >= load.Switches;
                var r = await PacketInLoadGenerator.RunAsync(new IPEndPoint(IPAddress.Loopback, port), load, Ready, log, OnMeasure);
                return new PacketInRun($"OvsLb.Runtime ({transport}) + ArpResponder (ARP reply, output:IN_PORT)", r, ctlCpu, genCpu, placement);
            }
            default:
            {
                var args = (testControllerArgs ?? ["-n"]).ToList();
                using var tc = OvsTestController.Start(args, controllerCpus);
                controllerCpu = () => tc.Process.CpuTime;
                var r = await PacketInLoadGenerator.RunAsync(tc.Endpoint, load, null, log, OnMeasure);
                var overflow = tc.Process.Stderr.Count(l => l.Contains("tx queue overflow", StringComparison.Ordinal));
                if (overflow > 0) log.WriteLine($"  ovs-testcontroller logged {overflow} 'tx queue overflow' lines (replies it dropped)");
                return new PacketInRun($"ovs-testcontroller {string.Join(' ', args)} (flood PACKET_OUT)", r, ctlCpu, genCpu, placement);
            }
        }
    }

    public static void Print(IReadOnlyList<PacketInRun> runs, PacketInLoadOptions o, TextWriter w)
    {
        w.WriteLine();
        w.WriteLine($"Packet-in: {o.Switches} switches x window {o.Window} PACKET_INs (60-byte ARP request, no buffer), warm-up {o.Warmup.TotalSeconds:0.#} s, measured {o.Duration.TotalSeconds:0.#} s");
        Table.Print(w, ["controller", "replies/s", "per-second min..max", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "controller CPU", "generator CPU", "lost", "FLOW_MODs"],
            runs.Select(r =>
            {
                var l = r.Load;
                double secs = l.Measured.TotalSeconds;
                return (IReadOnlyList<string>)
                [
                    r.Controller, $"{l.RepliesPerSecond:0}", l.PerSecond.Count == 0 ? "-" : $"{l.PerSecond.Min()}..{l.PerSecond.Max()}",
                    $"{l.P50Micros}", $"{l.P90Micros}", $"{l.P99Micros}", $"{l.P999Micros}", $"{l.MaxMicros}",
                    r.ControllerCpu is { } c ? $"{c.TotalSeconds / secs * 100:0}%" : "(in generator)", $"{r.GeneratorCpu.TotalSeconds / secs * 100:0}%",
                    $"{l.Lost}", $"{l.FlowModsDuringLoad}",
                ];
            }));
        if (runs.Count == 2 && runs[1].Load.RepliesPerSecond > 0)
        {
            w.WriteLine($"ratio {runs[0].Controller.Split(' ')[0]} / {runs[1].Controller.Split(' ')[0]}: {runs[0].Load.RepliesPerSecond / runs[1].Load.RepliesPerSecond:0.00}x replies/s");
        }
        foreach (var r in runs.Where(r => r.Load.BadReplies + r.Load.Unmatched > 0)) w.WriteLine($"  {r.Controller}: {r.Load.BadReplies} invalid and {r.Load.Unmatched} unmatched PACKET_OUTs");
    }

    /// <summary>Child-process mode: our runtime with the ARP responder; prints LISTENING port and READY dpid lines; exits when stdin closes.</summary>
    public static async Task<int> ControllerMainAsync(string[] args)
    {
        var transport = TransportRuns.Parse(new Options(args)).Single();
        var problems = new ProblemLog(Console.Error);
        var responder = new ArpResponder(s => Console.WriteLine($"READY {s.DatapathIdText}"));
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"], Transport = transport }, new StaticDesiredState(SwitchState.Empty), responder, problems.Factory());
        await controller.StartAsync();
        Console.WriteLine($"LISTENING {controller.LocalEndpoints[0].Port}");
        await Task.Run(Console.In.ReadLine);
        Console.WriteLine($"ANSWERED {responder.Answered} IGNORED {responder.Ignored}");
        return 0;
    }
}
