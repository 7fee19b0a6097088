using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/FeedbackMetrics.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(FeedbackMetrics.Benchmarks.DecodeBenchmarks).Assembly).Run(args);
