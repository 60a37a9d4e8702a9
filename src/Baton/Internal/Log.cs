using Microsoft.Extensions.Logging;

namespace Baton.Internal;

/// <summary>Baton's log events; the ids are stable, retired ones are not reused.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{SocketType} connected to peer at {Endpoint} ({PeerType}, ZMTP 3.{Minor})")]
    public static partial void PeerConnected(ILogger logger, string socketType, string endpoint, string peerType, int minor);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{SocketType} dropped peer at {Endpoint}: {Reason}")]
    public static partial void PeerDropped(ILogger logger, string socketType, string endpoint, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "{SocketType} peer at {Endpoint} disconnected: {Reason}")]
    public static partial void PeerDisconnected(ILogger logger, string socketType, string endpoint, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "{SocketType} could not connect to {Endpoint}: {Reason}; retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string socketType, string endpoint, string reason, long delayMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{SocketType} accept on {Endpoint} failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string socketType, string endpoint, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{SocketType} stops reconnecting to {Endpoint}: the peer sent ERROR '{Reason}'")]
    public static partial void PeerRefused(ILogger logger, string socketType, string endpoint, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "{SocketType} discarded {Count} message(s) for {Endpoint} when the linger time ran out")]
    public static partial void LingerExpired(ILogger logger, string socketType, string endpoint, int count);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "{SocketType} connected to peer at {Endpoint} ({PeerType}, {Protocol})")]
    public static partial void LegacyPeerConnected(ILogger logger, string socketType, string endpoint, string peerType, string protocol);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "{SocketType} on {Endpoint} has {Count} handshakes in progress: further peers wait to be accepted")]
    public static partial void HandshakesSaturated(ILogger logger, string socketType, string endpoint, int count);

    // An invalid pairing retried at every reconnect: event 2 warns the first time, this one the times after.
    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "{SocketType} dropped peer at {Endpoint} again: {Reason}")]
    public static partial void PeerDroppedAgain(ILogger logger, string socketType, string endpoint, string reason);
}
