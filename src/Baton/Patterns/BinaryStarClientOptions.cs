using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>How a <see cref="BinaryStarClient"/> waits and retries; the defaults are the guide's (bstarcli).</summary>
public sealed record BinaryStarClientOptions
{
    private readonly TimeSpan _requestTimeout = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _settleDelay = TimeSpan.FromSeconds(2);
    private readonly int _maxAttempts = 4;

    /// <summary>The defaults.</summary>
    public static BinaryStarClientOptions Default { get; } = new();

    /// <summary>How long to wait for a reply from a server before trying the other. Default 1 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive.</exception>
    public TimeSpan RequestTimeout
    {
        get => _requestTimeout;
        init => _requestTimeout = TimerDuration.Check(value, nameof(RequestTimeout));
    }

    /// <summary>
    /// How long to wait before sending to the other server after a timeout. The other server takes
    /// over only once its peer has been silent for two heartbeats, so this should be at least two of
    /// the servers' <see cref="BinaryStarOptions.HeartbeatInterval"/>. Default 2 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The delay is negative.</exception>
    public TimeSpan SettleDelay
    {
        get => _settleDelay;
        init => _settleDelay = TimerDuration.Check(value, nameof(SettleDelay), allowZero: true);
    }

    /// <summary>
    /// How many times a request is sent, across both servers, before <see cref="BinaryStarUnavailableException"/>.
    /// Default 4: each server twice.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is below 1.</exception>
    public int MaxAttempts
    {
        get => _maxAttempts;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxAttempts));
            _maxAttempts = value;
        }
    }

    /// <summary>
    /// The security mechanism of the client's sockets, which connect to either server: the client side of the
    /// servers' <see cref="BinaryStarOptions.FrontendSecurity"/>, e.g. <see cref="SocketSecurity.CurveClient(string, string)"/>.
    /// It applies to the backup too unless <see cref="BackupSecurity"/> is set (with CURVE, when the two servers
    /// hold different keys). Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The security mechanism of the sockets that connect to the backup server; null for <see cref="Security"/>.
    /// Default null.
    /// </summary>
    public SocketSecurity? BackupSecurity { get; init; }
}
