using System.Text.Json.Serialization;

namespace Baton.Bench.Cli;

/// <summary>One row of results: the medians over the rounds of one peer in one test.</summary>
internal sealed record Measurement
{
    /// <summary>The peer: an implementation, "sender→receiver" for mixed runs, or "socket" for the baseline.</summary>
    public required string Peer { get; init; }

    /// <summary>"throughput" or "latency".</summary>
    public required string Kind { get; init; }

    public required string Transport { get; init; }

    /// <summary>"null" or "curve": the security mechanism of every socket in the test.</summary>
    public string Mechanism { get; init; } = "null";

    public required int Size { get; init; }

    public required int Count { get; init; }

    public required int Rounds { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MessagesPerSecond { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MegabytesPerSecond { get; init; }

    /// <summary>Bytes the measuring process allocated per message received (all its threads; managed peers only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ReceiverBytesAllocatedPerMessage { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MeanUs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? P50Us { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? P99Us { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? P999Us { get; init; }

    /// <summary>The figure the ratios compare: messages/s for throughput, the median round trip for latency.</summary>
    [JsonIgnore]
    public double Headline => Kind == "throughput" ? MessagesPerSecond ?? 0 : P50Us ?? 0;
}
