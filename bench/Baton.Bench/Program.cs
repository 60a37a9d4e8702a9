using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

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
        // In process: the sockets' I/O loops run in the measured process, and the build needs nothing
        // beyond this project. A short job: the figure that matters here is the allocation count.
        var job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("short");
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .AddExporter(JsonExporter.Brief)
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
