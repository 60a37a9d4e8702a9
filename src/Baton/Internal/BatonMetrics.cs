using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Baton.Internal;

/// <summary>
/// Baton's instruments on one "Baton" meter (System.Diagnostics.Metrics), tagged with the socket type;
/// read them with dotnet-counters, OpenTelemetry or a MeterListener. Contexts made without an
/// <see cref="IMeterFactory"/> share <see cref="Shared"/> on a static meter; a context made with one
/// gets the instruments of the meter that factory creates (one set per meter, so contexts that share a
/// factory share its counts). Adding to a counter costs a branch when nobody listens.
/// </summary>
internal sealed class BatonMetrics
{
    public const string MeterName = "Baton";

    // One set of instruments per meter: an IMeterFactory hands every caller the same meter for the same
    // name, and two observable instruments of one name on one meter would report twice.
    private static readonly ConditionalWeakTable<Meter, BatonMetrics> s_byMeter = [];

    private readonly Lock _lock = new();

    // Copy on write under _lock: the connections callback reads it without a lock.
    private SocketMetrics[] _socketTypes = [];

    private BatonMetrics(Meter meter)
    {
        MessagesSent = meter.CreateCounter<long>("baton.messages.sent", "{message}", "Messages handed to a socket for sending.");
        MessagesReceived = meter.CreateCounter<long>("baton.messages.received", "{message}", "Messages the application received.");
        MessagesDropped = meter.CreateCounter<long>("baton.messages.dropped", "{message}", "Messages dropped by design: a PUB subscriber or ROUTER peer at HWM, an unknown ROUTER identity, a REP reply to a vanished requester.");

        // Observed, not added to: a listener that attaches late (dotnet-counters) reads the current count
        // instead of the sum of the changes it happened to see. An up-down counter rather than a gauge
        // because connections add up: across socket types and processes the sum is the total.
        meter.CreateObservableUpDownCounter("baton.connections", ObserveConnections, "{connection}", "Handshaken tcp and ipc connections.");
        PeersDropped = meter.CreateCounter<long>("baton.peers.dropped", "{peer}", "Peers dropped for breaking the protocol or a rule of the socket.");
    }

    /// <summary>The instruments of contexts made without a meter factory, on a static meter.</summary>
    public static BatonMetrics Shared { get; } = new(new Meter(MeterName));

    public Counter<long> MessagesSent { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> MessagesDropped { get; }

    public Counter<long> PeersDropped { get; }

    /// <summary>The instruments on the "Baton" meter of <paramref name="meterFactory"/>, or <see cref="Shared"/> without one.</summary>
    public static BatonMetrics For(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            return Shared;
        }

        var meter = meterFactory.Create(new MeterOptions(MeterName));
        return s_byMeter.GetValue(meter, static m => new BatonMetrics(m));
    }

    /// <summary>What sockets of one type count with; one object per socket type and meter.</summary>
    public SocketMetrics ForSocketType(string socketType)
    {
        var known = Volatile.Read(ref _socketTypes);
        foreach (var metrics in known)
        {
            if (metrics.SocketType == socketType)
            {
                return metrics;
            }
        }

        lock (_lock)
        {
            foreach (var metrics in _socketTypes)
            {
                if (metrics.SocketType == socketType)
                {
                    return metrics;
                }
            }

            var added = new SocketMetrics(this, socketType);
            Volatile.Write(ref _socketTypes, [.. _socketTypes, added]);
            return added;
        }
    }

    private IEnumerable<Measurement<long>> ObserveConnections()
    {
        // Every type that ever had a socket, zeros included, so a count that falls to 0 is seen too.
        var types = Volatile.Read(ref _socketTypes);
        var measurements = new Measurement<long>[types.Length];
        for (var i = 0; i < types.Length; i++)
        {
            measurements[i] = new Measurement<long>(types[i].Connections, types[i].Tag);
        }

        return measurements;
    }
}
