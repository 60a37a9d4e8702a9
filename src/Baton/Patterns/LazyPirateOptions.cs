using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>How a <see cref="LazyPirateClient"/> waits and retries; the defaults are the guide's lpclient.</summary>
public sealed record LazyPirateOptions
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(2500);
    private readonly int _attempts = 3;

    /// <summary>The defaults: 2.5 s per attempt, 3 attempts.</summary>
    public static LazyPirateOptions Default { get; } = new();

    /// <summary>How long one attempt waits for the reply before the client gives up on that socket. Default 2.5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        init => _timeout = value > TimeSpan.Zero && value != System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Timeout), value, "The timeout must be positive and finite: a Lazy Pirate client that waits for ever is a plain REQ.");
    }

    /// <summary>How many times a request is sent, each time on a new socket, before the client gives up (the guide's REQUEST_RETRIES). Default 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int Attempts
    {
        get => _attempts;
        init => _attempts = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Attempts), value, "At least one attempt is needed.");
    }

    /// <summary>Options of each REQ socket the client makes (its linger is always zero: an abandoned request is discarded). Default <see cref="SocketOptions.Default"/>.</summary>
    public SocketOptions SocketOptions { get; init; } = SocketOptions.Default;

    /// <summary>
    /// The security mechanism of each REQ socket, which connects to the server, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>
    /// with the server's public key; it replaces <see cref="SocketOptions"/>' own when not null. Default null.
    /// </summary>
    public SocketSecurity? Security { get; init; }
}
