namespace Baton.Bench.Cli;

/// <summary>What one <c>baton bench throughput|latency</c> run measures and how it reports.</summary>
internal sealed record BenchSettings(string Kind, string Transport, int Size, int Count, int Rounds, string Peer, bool Json, string? Plot, string Mechanism = "null")
{
    /// <summary>True for <c>--mechanism curve</c>: every socket encrypts with CURVE, the bound end serving.</summary>
    public bool Curve => Mechanism == "curve";

    /// <summary>Untimed messages before the timed ones: the JIT and the connection settle first.</summary>
    public int Warmup => Kind == "throughput" ? Math.Min(Count / 10, 100_000) : Math.Min(Count / 10, 1_000);
}
