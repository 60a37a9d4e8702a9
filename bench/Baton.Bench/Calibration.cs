using BenchmarkDotNet.Attributes;

namespace Baton.Bench;

/// <summary>
/// Proves the instrument. 1,000 bytes allocated on a thread-pool thread must show as about 1 KB per
/// operation, so the socket benchmarks' figures include what the I/O loops allocate off the calling
/// thread; an operation that allocates nothing must show 0 "Alloc bytes", the harness's own floor.
/// </summary>
public class Calibration
{
    [Benchmark(Description = "1,000 B allocated on another thread")]
    public byte[] AllocateOnAnotherThread() => Task.Run(static () => new byte[1000 - 24]).Result;

    [Benchmark(OperationsPerInvoke = 1000, Description = "nothing allocated (the harness's floor)")]
    public void AllocateNothing() => Thread.SpinWait(20_000);
}
