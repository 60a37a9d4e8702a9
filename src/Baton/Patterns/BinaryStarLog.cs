using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>Binary Star's log events; ids 1300-1349 are Binary Star's, stable, and retired ones are not reused.</summary>
internal static partial class BinaryStarLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Binary Star {Role}: {Previous} -> {Current}: {Reason}")]
    public static partial void StateChanged(ILogger logger, BinaryStarRole role, BinaryStarState previous, BinaryStarState current, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Binary Star {Role} ({State}) dropped a client request: the peer spoke within the last two heartbeats")]
    public static partial void RequestRefused(ILogger logger, BinaryStarRole role, BinaryStarState state);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Binary Star {Role} stops: {Reason}")]
    public static partial void Conflict(ILogger logger, BinaryStarRole role, string reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Binary Star {Role} ignored a state message that is not 1 to 4 from its peer at {Endpoint}")]
    public static partial void MalformedState(ILogger logger, BinaryStarRole role, string endpoint);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Binary Star {Role}: the request handler failed, so the request goes unanswered")]
    public static partial void HandlerFailed(ILogger logger, BinaryStarRole role, Exception exception);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Debug, Message = "Binary Star {Role}: the frontend could not take a reply at once, so it was dropped")]
    public static partial void ReplyDropped(ILogger logger, BinaryStarRole role);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Error, Message = "Binary Star {Role}: a StateChanged handler failed")]
    public static partial void StateHandlerFailed(ILogger logger, BinaryStarRole role, Exception exception);

    [LoggerMessage(EventId = 1320, Level = LogLevel.Debug, Message = "Binary Star client: no reply from {Endpoint} within {TimeoutMs} ms (attempt {Attempt} of {MaxAttempts}); trying {Next}")]
    public static partial void ClientTimeout(ILogger logger, string endpoint, long timeoutMs, int attempt, int maxAttempts, string next);
}
