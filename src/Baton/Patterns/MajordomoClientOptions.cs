using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>
/// How a <see cref="MajordomoClient"/> waits for replies: as the ZeroMQ guide's mdcliapi, a request
/// is sent up to <see cref="Attempts"/> times, each waiting <see cref="Timeout"/> for the reply.
/// </summary>
public sealed record MajordomoClientOptions
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(2500);
    private readonly int _attempts = 3;

    /// <summary>The defaults.</summary>
    public static MajordomoClientOptions Default { get; } = new();

    /// <summary>
    /// How long one attempt waits for the reply; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
    /// waits for ever. Default 2.5 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive and not infinite.</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        init => _timeout = value > TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Timeout), value, "The timeout must be positive, or Timeout.InfiniteTimeSpan.");
    }

    /// <summary>
    /// How many times a request is sent before the client gives up with a
    /// <see cref="MajordomoTimeoutException"/> (the guide's "retries": 3 means three sends). Between
    /// attempts the client makes a new socket, so a late reply to an earlier attempt never arrives.
    /// Default 3.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int Attempts
    {
        get => _attempts;
        init => _attempts = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Attempts), value, "At least one attempt is needed.");
    }

    /// <summary>
    /// The security mechanism of the client's sockets, which connect to the broker: the client side of what
    /// the broker's <see cref="MajordomoBrokerOptions.Security"/> is, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>
    /// with the broker's public key. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;
}
