using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>How a <see cref="Titanic"/> server talks to its broker and retries what it owes.</summary>
public sealed record TitanicOptions
{
    private readonly TimeSpan _requestTimeout = TimeSpan.FromMilliseconds(2500);
    private readonly TimeSpan _retryInterval = TimeSpan.FromSeconds(1);

    /// <summary>The defaults.</summary>
    public static TitanicOptions Default { get; } = new();

    /// <summary>
    /// How long the dispatcher waits for a service's reply to a stored request before it leaves the
    /// request for a later round (the request stays stored; nothing is lost). Default 2.5 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan RequestTimeout
    {
        get => _requestTimeout;
        init => _requestTimeout = TimerDuration.Check(value, nameof(RequestTimeout));
    }

    /// <summary>
    /// How long the dispatcher waits, when a round left requests undelivered (their service had no
    /// worker, or did not reply), before it tries them again; a new request starts a round at once. Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan RetryInterval
    {
        get => _retryInterval;
        init => _retryInterval = TimerDuration.Check(value, nameof(RetryInterval));
    }

    /// <summary>Heartbeat and reconnect settings of the three Titanic services' workers; null for Majordomo's defaults.</summary>
    public MajordomoWorkerOptions? WorkerOptions { get; init; }

    /// <summary>
    /// The security mechanism of every socket Titanic makes, all of which connect to the broker (its three
    /// services' workers and its dispatcher's client), e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>
    /// with the broker's public key; it replaces <see cref="WorkerOptions"/>' <see cref="MajordomoWorkerOptions.Security"/>.
    /// Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;
}
