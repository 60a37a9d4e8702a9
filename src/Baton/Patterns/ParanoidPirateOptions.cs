using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>
/// Heartbeating and reconnecting of the Paranoid Pirate queue and worker (6/PPP); the defaults are the
/// guide's ppqueue and ppworker. The queue and its workers should agree on the heartbeat interval.
/// </summary>
public sealed record ParanoidPirateOptions
{
    private readonly TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(1);
    private readonly int _liveness = 3;
    private readonly TimeSpan _reconnectInterval = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _reconnectIntervalMax = TimeSpan.FromSeconds(32);

    /// <summary>The defaults: a heartbeat a second, 3 missed ones for a peer to be dead, reconnects after 1 s doubling up to 32 s.</summary>
    public static ParanoidPirateOptions Default { get; } = new();

    /// <summary>How often the queue and the worker send HEARTBEAT to each other. Default 1 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = Positive(value, nameof(HeartbeatInterval));
    }

    /// <summary>How many heartbeat intervals of silence make a peer dead: the queue forgets the worker, the worker reconnects. Default 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int Liveness
    {
        get => _liveness;
        init => _liveness = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Liveness), value, "Liveness must be at least 1.");
    }

    /// <summary>How long a worker waits before its first reconnect; each further one waits twice as long, up to <see cref="ReconnectIntervalMax"/>. Default 1 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public TimeSpan ReconnectInterval
    {
        get => _reconnectInterval;
        init => _reconnectInterval = Positive(value, nameof(ReconnectInterval));
    }

    /// <summary>The longest a worker waits before reconnecting. Default 32 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public TimeSpan ReconnectIntervalMax
    {
        get => _reconnectIntervalMax;
        init => _reconnectIntervalMax = Positive(value, nameof(ReconnectIntervalMax));
    }

    /// <summary>
    /// The security mechanism of a <see cref="ParanoidPirateWorker"/>'s socket, which connects to the queue's
    /// backend, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/> with the queue's public key.
    /// A <see cref="ParanoidPirateQueue"/> ignores it. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The security mechanism of a <see cref="ParanoidPirateQueue"/>'s frontend, which it binds and clients
    /// connect to, e.g. <see cref="SocketSecurity.CurveServer(string)"/>. A worker ignores it. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity FrontendSecurity { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The security mechanism of a <see cref="ParanoidPirateQueue"/>'s backend, which it binds and workers
    /// connect to, e.g. <see cref="SocketSecurity.CurveServer(string)"/>. A worker ignores it. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity BackendSecurity { get; init; } = SocketSecurity.Null;

    /// <summary>How long the queue waits without hearing from a worker before it forgets it: <see cref="Liveness"/> heartbeat intervals.</summary>
    public TimeSpan Expiry => HeartbeatInterval * Liveness;

    private static TimeSpan Positive(TimeSpan value, string name) => value > TimeSpan.Zero && value != Timeout.InfiniteTimeSpan
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite.");
}
