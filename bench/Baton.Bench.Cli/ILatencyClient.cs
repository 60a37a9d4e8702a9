namespace Baton.Bench.Cli;

/// <summary>The bound, measuring REQ end of a round-trip test.</summary>
internal interface ILatencyClient : IDisposable
{
    /// <summary>Where the echoing end connects.</summary>
    string Endpoint { get; }

    /// <summary>Makes <paramref name="warmup"/> untimed round trips, then one per sample, storing each in Stopwatch ticks.</summary>
    void Run(int warmup, long[] samples, int size);
}
