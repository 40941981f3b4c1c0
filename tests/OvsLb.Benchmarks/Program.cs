using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project tests/OvsLb.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(OvsLb.Benchmarks.CodecBenchmarks).Assembly).Run(args);
