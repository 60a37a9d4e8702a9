namespace Baton.Bench.Cli;

/// <summary>The figures of one <c>baton bench connections</c> run.</summary>
internal sealed record ConnectionsReport
{
    public string Kind { get; init; } = "connections";

    public required int Connections { get; init; }

    public required int MessagesPerConnection { get; init; }

    public required int Size { get; init; }

    public required double ConnectSeconds { get; init; }

    public required double ExchangeSeconds { get; init; }

    /// <summary>Requests in plus replies out, per second, through the ROUTER.</summary>
    public required double MessagesPerSecond { get; init; }

    public required double ServerBytesPerConnectionWorkingSet { get; init; }

    public required double ServerBytesPerConnectionManaged { get; init; }

    public required double ClientBytesPerConnectionWorkingSet { get; init; }

    public required double ClientBytesPerConnectionManaged { get; init; }
}
