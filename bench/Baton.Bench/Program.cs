using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Baton.Bench;

/// <summary>
/// Micro benchmarks of Baton's steady state, for what a whole-program benchmark cannot show: bytes
/// allocated per message (MemoryDiagnoser) on send and on receive. Throughput and latency against
/// libzmq and NetMQ are measured by <c>baton bench</c>.
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by the arguments (all with <c>--filter '*'</c>).</summary>
    public static void Main(string[] args)
    {
        // BenchmarkDotNet's default toolchain: each benchmark runs in a process of its own, built from
        // this project, with nothing else in it that allocates (run in process, the host's own threads
        // added some 3 KB to every measured iteration). A short job: the figure that matters here is
        // the allocation count, which does not depend on the number of iterations.
        var job = Job.ShortRun.WithId("short");
        // The default config already exports GitHub markdown (with csv and html); JSON is added.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(AllocationColumn.Operations, AllocationColumn.Bytes)
            .AddExporter(JsonExporter.Brief)
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
