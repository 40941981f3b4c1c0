using BenchmarkDotNet.Running;
using OvsLb.Benchmarks;

// Codec micro-benchmarks (BenchmarkDotNet):
//   dotnet run -c Release --project tests/OvsLb.Benchmarks -- --filter '*'
// End-to-end load benchmarks (measured console runs, see README in this folder):
//   dotnet run -c Release --project tests/OvsLb.Benchmarks -- scale [--switches 1000] [--flows 100] [--fakes inproc|process] [--transports pipelines,dotnetty] [--rounds 2]
//   dotnet run -c Release --project tests/OvsLb.Benchmarks -- lbscale [--vips 1000] [--backends 8] [--packets 1000] [--no-fit] [--timeout 300] [--rounds 20] [--change-only] [--transports pipelines,dotnetty] [--transport-rounds 2]
//   dotnet run -c Release --project tests/OvsLb.Benchmarks -- packetin [--target all|ovslb|testcontroller|ovslb-inproc] [--cpus split|shared]
//                                                                       [--switches 16] [--window 100] [--warmup 2] [--duration 10] [--tc-args "-n"] [--transports pipelines,dotnetty] [--rounds 2]
//   dotnet run -c Release --project tests/OvsLb.Benchmarks -- conns [--connections 100000] [--cases direct,learn,nat|limit,cap,noreuse] [--prefill 0] [--window 256] [--per-process 16000] [--rounds 1] [--op-timeout 30]
try
{
    return args.FirstOrDefault() switch
    {
        "scale" => await ScaleBenchmark.MainAsync(args[1..]),
        "lbscale" => await LbScaleBenchmark.MainAsync(args[1..]),
        "packetin" => await PacketInBenchmark.MainAsync(args[1..]),
        "conns" => await ConnsBenchmark.MainAsync(args[1..]),
        "conns-worker" => await ConnsWorker.MainAsync(args[1..]),                  // child processes of conns
        "packetin-controller" => await PacketInBenchmark.ControllerMainAsync(args[1..]),   // child process of packetin
        "fakes" => await ScaleBenchmark.FakesMainAsync(args[1..]),                // child process of scale --fakes process
        _ => RunBenchmarkDotNet(args),
    };
}
catch (Exception e) when (e is InvalidOperationException or ArgumentException or TimeoutException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args);
    return 0;
}
