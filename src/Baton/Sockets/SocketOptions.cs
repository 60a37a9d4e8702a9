using Baton.Wire.Mechanisms;

namespace Baton.Sockets;

/// <summary>
/// A socket's options, libzmq's defaults unless noted. Give them to the socket's constructor, or set
/// <see cref="ZmqSocket.Options"/> before the first bind or connect; after that they are frozen (setting
/// them throws <see cref="InvalidOperationException"/>). Invalid values throw <see cref="ArgumentOutOfRangeException"/>
/// or <see cref="ArgumentException"/> at the property.
/// </summary>
public sealed record SocketOptions
{
    private readonly int _sendHighWatermark = 1000;
    private readonly int _receiveHighWatermark = 1000;
    private readonly TimeSpan _linger = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _lingerStallTimeout = TimeSpan.FromSeconds(2);
    private readonly TimeSpan _reconnectInterval = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _reconnectIntervalMax = TimeSpan.Zero;
    private readonly TimeSpan _handshakeInterval = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _heartbeatInterval = TimeSpan.Zero;
    private readonly TimeSpan? _heartbeatTimeout;
    private readonly TimeSpan _heartbeatTtl = TimeSpan.Zero;
    private readonly byte[]? _identity;
    private readonly long _maxMessageSize = -1;
    private readonly int _maxFramesPerMessage = 65_536;
    private readonly string _zapDomain = "";

    /// <summary>The defaults.</summary>
    public static SocketOptions Default { get; } = new();

    /// <summary>Messages queued per peer for sending before the socket blocks or drops (0 = no limit). Default 1000.</summary>
    public int SendHighWatermark
    {
        get => _sendHighWatermark;
        init => _sendHighWatermark = NonNegative(value, nameof(SendHighWatermark));
    }

    /// <summary>Messages queued per peer on receipt before reading from that peer pauses (0 = no limit). Default 1000.</summary>
    public int ReceiveHighWatermark
    {
        get => _receiveHighWatermark;
        init => _receiveHighWatermark = NonNegative(value, nameof(ReceiveHighWatermark));
    }

    /// <summary>
    /// How long closing the socket (<c>Dispose</c>) may wait for queued messages to reach the wire
    /// while they keep moving to a connected peer. Default 30 s. Within it, closing stops waiting as
    /// soon as queued messages make no progress for <see cref="LingerStallTimeout"/> (default 2 s): no
    /// peer is connected, or the peer takes nothing. So by default a close delivers a backlog that is
    /// flowing, however large, for up to 30 s, and holds a host's shutdown about 2 s when the peer is
    /// absent or stuck. <see cref="Timeout.InfiniteTimeSpan"/> waits for ever, as libzmq does by
    /// default (the stall rule does not apply: a close waits for an absent peer to come);
    /// <see cref="TimeSpan.Zero"/> discards queued messages at once, as NetMQ does by default.
    /// </summary>
    public TimeSpan Linger
    {
        get => _linger;
        init => _linger = Duration(value, nameof(Linger), allowInfinite: true);
    }

    /// <summary>
    /// With a finite <see cref="Linger"/>, how long closing waits while no queued message moves (none
    /// taken off the queue, no 64 KB of them written) before it discards what is left. Default 2 s.
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits out the whole <see cref="Linger"/>. Raise it when
    /// a single large message may take longer than this to write to a slow peer.
    /// </summary>
    public TimeSpan LingerStallTimeout
    {
        get => _lingerStallTimeout;
        init
        {
            _lingerStallTimeout = Duration(value, nameof(LingerStallTimeout), allowInfinite: true);
            if (value == TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(LingerStallTimeout), value, "Use a positive duration or Timeout.InfiniteTimeSpan; Linger = TimeSpan.Zero discards queued messages.");
            }
        }
    }

    /// <summary>Wait before reconnecting after a connection fails. Default 100 ms.</summary>
    public TimeSpan ReconnectInterval
    {
        get => _reconnectInterval;
        init => _reconnectInterval = Duration(value, nameof(ReconnectInterval), allowInfinite: false);
    }

    /// <summary>Upper bound of the exponential reconnect backoff; zero keeps the interval fixed. Default 0.</summary>
    public TimeSpan ReconnectIntervalMax
    {
        get => _reconnectIntervalMax;
        init => _reconnectIntervalMax = Duration(value, nameof(ReconnectIntervalMax), allowInfinite: false);
    }

    /// <summary>Longest time a ZMTP handshake may take before the peer is dropped; zero disables. Default 30 s.</summary>
    public TimeSpan HandshakeInterval
    {
        get => _handshakeInterval;
        init => _handshakeInterval = Duration(value, nameof(HandshakeInterval), allowInfinite: false);
    }

    /// <summary>Interval between PING commands; zero disables heartbeats. Default 0.</summary>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = Duration(value, nameof(HeartbeatInterval), allowInfinite: false);
    }

    /// <summary>How long to wait for any traffic after a PING before dropping the peer. Default: the heartbeat interval.</summary>
    public TimeSpan HeartbeatTimeout
    {
        get => _heartbeatTimeout ?? _heartbeatInterval;
        init => _heartbeatTimeout = Duration(value, nameof(HeartbeatTimeout), allowInfinite: false);
    }

    /// <summary>Time-to-live announced in our PINGs: the peer drops us if it hears nothing for this long. Default 0 (none).</summary>
    public TimeSpan HeartbeatTtl
    {
        get => _heartbeatTtl;
        init
        {
            _heartbeatTtl = Duration(value, nameof(HeartbeatTtl), allowInfinite: false);
            if (value.TotalMilliseconds / 100 > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(HeartbeatTtl), value, "The heartbeat TTL travels in deciseconds and cannot exceed 6553.5 s.");
            }
        }
    }

    /// <summary>The identity announced to ROUTER peers: 1 to 255 bytes, not starting with a zero byte. Default none.</summary>
    public byte[]? Identity
    {
        get => _identity;
        init
        {
            if (value is not null && (value.Length is 0 or > 255 || value[0] == 0))
            {
                throw new ArgumentException("An identity must be 1 to 255 bytes and must not start with a zero byte (those are reserved for generated identities).", nameof(Identity));
            }

            _identity = value;
        }
    }

    /// <summary>Largest inbound message in bytes; a peer that sends more is dropped. -1 = no limit (default).</summary>
    public long MaxMessageSize
    {
        get => _maxMessageSize;
        init
        {
            if (value < -1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), value, "Use -1 for no limit or a non-negative byte count.");
            }

            _maxMessageSize = value;
        }
    }

    /// <summary>
    /// Most frames in an inbound message; a peer that sends more is dropped with a logged reason. -1 = no
    /// limit. Default 65,536. <see cref="MaxMessageSize"/> counts body bytes only, and an empty frame
    /// costs the receiver memory (tens of bytes) while its sender spends two: without this bound a peer
    /// could grow one endless message of empty frames until memory runs out.
    /// </summary>
    public int MaxFramesPerMessage
    {
        get => _maxFramesPerMessage;
        init
        {
            if (value is 0 or < -1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxFramesPerMessage), value, "Use -1 for no limit or a positive frame count.");
            }

            _maxFramesPerMessage = value;
        }
    }

    /// <summary>
    /// The security mechanism of every connection: <see cref="SocketSecurity.Null"/> (the default),
    /// PLAIN or CURVE, client or server. See <see cref="SocketSecurity"/> and docs/SECURITY.md.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The ZAP domain (RFC 27) this socket's server handshakes give the authenticator, which may treat
    /// domains differently. Default empty. As in libzmq, a NULL socket consults the authenticator only when
    /// this is set; PLAIN and CURVE servers always do when one is bound in the context.
    /// </summary>
    public string ZapDomain
    {
        get => _zapDomain;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(ZapDomain));
            if (System.Text.Encoding.UTF8.GetByteCount(value) > 255)
            {
                throw new ArgumentException("A ZAP domain is at most 255 bytes.", nameof(ZapDomain));
            }

            _zapDomain = value;
        }
    }

    /// <summary>A mechanism that replaces <see cref="Security"/>'s (tests of the mechanism seam); null = Security's.</summary>
    internal MechanismFactory? Mechanism { get; init; }

    /// <summary>Queue messages only to peers whose connection is complete (libzmq ZMQ_IMMEDIATE). Default false.</summary>
    public bool Immediate { get; init; }

    /// <summary>ROUTER: throw <see cref="UnroutableMessageException"/> for an unknown identity instead of dropping; wait at HWM instead of dropping.</summary>
    public bool RouterMandatory { get; init; }

    /// <summary>ROUTER: a new peer with an identity in use takes it over instead of being refused.</summary>
    public bool RouterHandover { get; init; }

    /// <summary>REQ: allow a new request before the reply to the last one came (ZMQ_REQ_RELAXED).</summary>
    public bool RequestRelaxed { get; init; }

    /// <summary>REQ: prefix requests with an id and accept only the matching reply (ZMQ_REQ_CORRELATE).</summary>
    public bool RequestCorrelate { get; init; }

    /// <summary>XPUB: hand every subscription message to the application, not only new ones.</summary>
    public bool XPubVerbose { get; init; }

    /// <summary>Keep only the last received message (ZMQ_CONFLATE); single-part messages only.</summary>
    public bool Conflate { get; init; }

    /// <summary>Bind tcp wildcards and resolve host names to IPv6 as well as IPv4.</summary>
    public bool IPv6 { get; init; }

    /// <summary>Turn on TCP keepalive on tcp connections.</summary>
    public bool TcpKeepAlive { get; init; }

    private static int NonNegative(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        return value;
    }

    private static TimeSpan Duration(TimeSpan value, string name, bool allowInfinite)
    {
        if (allowInfinite && value == Timeout.InfiniteTimeSpan)
        {
            return value;
        }

        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, allowInfinite ? "Use a non-negative duration or Timeout.InfiniteTimeSpan." : "Use a non-negative duration.");
        }

        return value;
    }
}
