using System.Diagnostics.Metrics;

namespace Baton.Internal;

/// <summary>
/// Baton's counters on the "Baton" meter (System.Diagnostics.Metrics), tagged with the socket type;
/// read them with dotnet-counters, OpenTelemetry or a MeterListener. Adding costs a branch when
/// nobody listens.
/// </summary>
internal static class BatonMetrics
{
    public const string MeterName = "Baton";

    private static readonly Meter s_meter = new(MeterName);

    public static readonly Counter<long> MessagesSent = s_meter.CreateCounter<long>("baton.messages.sent", "{message}", "Messages handed to a socket for sending.");

    public static readonly Counter<long> MessagesReceived = s_meter.CreateCounter<long>("baton.messages.received", "{message}", "Messages the application received.");

    public static readonly Counter<long> MessagesDropped = s_meter.CreateCounter<long>("baton.messages.dropped", "{message}", "Messages dropped by design: a PUB subscriber or ROUTER peer at HWM, an unknown ROUTER identity, a REP reply to a vanished requester.");

    public static readonly UpDownCounter<long> Connections = s_meter.CreateUpDownCounter<long>("baton.connections", "{connection}", "Handshaken tcp and ipc connections.");

    public static readonly Counter<long> PeersDropped = s_meter.CreateCounter<long>("baton.peers.dropped", "{peer}", "Peers dropped for breaking the protocol or a rule of the socket.");

    public static KeyValuePair<string, object?> Tag(string socketType) => new("socket.type", socketType);
}
