using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/FeedbackMetrics.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project bench/FeedbackMetrics.Benchmarks -- memory   (memory per key: default windows, whole model)
if (args is ["memory"])
{
    FeedbackMetrics.Benchmarks.MemoryPerKey.Report();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(FeedbackMetrics.Benchmarks.DecodeBenchmarks).Assembly).Run(args);
