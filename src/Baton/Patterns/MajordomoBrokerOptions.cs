using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>
/// How a <see cref="MajordomoBroker"/> heartbeats its workers and bounds its queues. The defaults are
/// the ZeroMQ guide's (a heartbeat every 2.5 s, a worker expires after 3 missed ones), so the guide's
/// workers in any language work with the broker unchanged.
/// </summary>
public sealed record MajordomoBrokerOptions
{
    private readonly TimeSpan _heartbeatInterval = TimeSpan.FromMilliseconds(2500);
    private readonly int _heartbeatLiveness = 3;
    private readonly int _maxQueuedRequests = 100_000;

    /// <summary>The defaults.</summary>
    public static MajordomoBrokerOptions Default { get; } = new();

    /// <summary>How often the broker sends HEARTBEAT to each idle worker. Default 2.5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), value, "The heartbeat interval must be positive.");
    }

    /// <summary>
    /// How many heartbeat intervals an idle worker may stay silent before the broker forgets it (a
    /// busy worker is never expired: the guide's workers do not heartbeat while they work). Default 3.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int HeartbeatLiveness
    {
        get => _heartbeatLiveness;
        init => _heartbeatLiveness = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(HeartbeatLiveness), value, "The heartbeat liveness must be at least 1.");
    }

    /// <summary>
    /// Most requests queued for one service while none of its workers is ready; a request beyond it
    /// is dropped with a warning (its client times out and may retry). Default 100,000.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxQueuedRequests
    {
        get => _maxQueuedRequests;
        init => _maxQueuedRequests = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), value, "At least one request must be allowed to queue.");
    }

    /// <summary>
    /// The security mechanism of the broker's socket, e.g. <see cref="SocketSecurity.CurveServer(string)"/>; a ZAP
    /// authenticator in the broker's context decides who gets in. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;

    /// <summary>How long an idle worker may stay silent: the interval times the liveness.</summary>
    internal TimeSpan Expiry => HeartbeatInterval * HeartbeatLiveness;
}
