using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// dotnet run -c Release --project benchmarks/Edge.Benchmarks -- --filter '*'
// Hot-path pieces of the edge, measured alone: what one request (or one scrape) costs in each.
// In process: YARP is referenced by path (Directory.Build.props), which the project that
// BenchmarkDotNet would otherwise generate and build does not inherit.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(Edge.Benchmarks.WeightedPickBenchmarks).Assembly).Run(args, config);
