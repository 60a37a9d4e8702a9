using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>
/// How a <see cref="MajordomoWorker"/> heartbeats its broker and reconnects. The defaults are the
/// ZeroMQ guide's: a heartbeat every 2.5 s, the broker counts as lost after 3 silent intervals, and
/// the worker reconnects 2.5 s later.
/// </summary>
public sealed record MajordomoWorkerOptions
{
    private readonly TimeSpan _heartbeatInterval = TimeSpan.FromMilliseconds(2500);
    private readonly int _heartbeatLiveness = 3;
    private readonly TimeSpan _reconnectInterval = TimeSpan.FromMilliseconds(2500);

    /// <summary>The defaults.</summary>
    public static MajordomoWorkerOptions Default { get; } = new();

    /// <summary>
    /// How often the worker sends HEARTBEAT to the broker, also while a request is being handled, and
    /// how often it expects to hear from the broker. Use the broker's interval: a worker that expects
    /// heartbeats faster than the broker sends them takes its silence for its death. Default 2.5 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), value, "The heartbeat interval must be positive.");
    }

    /// <summary>How many heartbeat intervals the broker may stay silent before the worker reconnects. Default 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int HeartbeatLiveness
    {
        get => _heartbeatLiveness;
        init => _heartbeatLiveness = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(HeartbeatLiveness), value, "The heartbeat liveness must be at least 1.");
    }

    /// <summary>How long the worker waits before reconnecting to a broker it lost. Default 2.5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan ReconnectInterval
    {
        get => _reconnectInterval;
        init => _reconnectInterval = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(ReconnectInterval), value, "The reconnect interval must not be negative.");
    }

    /// <summary>
    /// The security mechanism of the worker's socket, which connects to the broker: the client side of what
    /// the broker's <see cref="MajordomoBrokerOptions.Security"/> is, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>
    /// with the broker's public key. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;
}
