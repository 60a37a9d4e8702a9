namespace Baton.Bench.Cli;

/// <summary>The bound, measuring end of a throughput test.</summary>
internal interface IThroughputReceiver : IDisposable
{
    /// <summary>Where the sender connects.</summary>
    string Endpoint { get; }

    /// <summary>
    /// Receives <paramref name="warmup"/> messages untimed, then <paramref name="count"/> timed ones;
    /// returns the seconds from the end of the warm-up to the last message.
    /// </summary>
    double Receive(int warmup, int count, int size);
}
