using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>How a <see cref="BinaryStar"/> server runs; the defaults are the ZeroMQ guide's.</summary>
public sealed record BinaryStarOptions
{
    private readonly TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(1);
    private readonly ZmqSocketType _frontendType = ZmqSocketType.Router;

    /// <summary>The defaults.</summary>
    public static BinaryStarOptions Default { get; } = new();

    /// <summary>
    /// How often each server publishes its state to the other. A peer silent for two intervals counts
    /// as dead, which lets a client request make the other server active. Both servers of a pair must
    /// use the same interval, and clients should wait at least two intervals before they switch servers
    /// (<see cref="BinaryStarClientOptions.SettleDelay"/>). Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The interval is not positive.</exception>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = TimerDuration.Check(value, nameof(HeartbeatInterval));
    }

    /// <summary>
    /// The type of the socket clients talk to. Default <see cref="ZmqSocketType.Router"/>, as in the
    /// guide: the server strips each request's envelope before the handler sees it and puts it back
    /// on the reply. DEALER, PULL, PAIR, SUB and XSUB are also accepted; their handler sees messages
    /// as they arrive. REP and REQ are not: a refused request must be dropped unanswered, which their
    /// strict send/receive alternation forbids.
    /// </summary>
    /// <exception cref="ArgumentException">The type cannot receive, or is REP or REQ.</exception>
    public ZmqSocketType FrontendType
    {
        get => _frontendType;
        init
        {
            if (value is not (ZmqSocketType.Router or ZmqSocketType.Dealer or ZmqSocketType.Pull or ZmqSocketType.Pair or ZmqSocketType.Sub or ZmqSocketType.XSub))
            {
                throw new ArgumentException($"A Binary Star frontend cannot be a {value} socket: use ROUTER (the default), DEALER, PULL, PAIR, SUB or XSUB.", nameof(FrontendType));
            }

            _frontendType = value;
        }
    }

    /// <summary>Options of the frontend socket (security, high-water marks); null for a linger of 1 s and the other defaults.</summary>
    public SocketOptions? FrontendOptions { get; init; }

    /// <summary>
    /// The security mechanism of the frontend, which the server binds and clients connect to, e.g.
    /// <see cref="SocketSecurity.CurveServer(string)"/>; it replaces <see cref="FrontendOptions"/>' own when not null. Default null.
    /// </summary>
    public SocketSecurity? FrontendSecurity { get; init; }

    /// <summary>
    /// The security mechanism of the state publisher, which the server binds at its local endpoint and the
    /// peer's subscriber connects to: a server mechanism, e.g. <see cref="SocketSecurity.CurveServer(string)"/>.
    /// The peer's <see cref="StateSubscriberSecurity"/> must be its client side. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity StatePublisherSecurity { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The security mechanism of the state subscriber, which connects to the peer's state endpoint: the client
    /// side of the peer's <see cref="StatePublisherSecurity"/>, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>
    /// with the peer's public key. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity StateSubscriberSecurity { get; init; } = SocketSecurity.Null;
}
