using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// Log events of the proxy, the load-balancing broker and the Pirate patterns. Ids 1101-1199 are this
/// file's (stable; retired ones are not reused), apart from Baton.Internal.Log's.
/// </summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Proxy control socket: unknown command '{Command}' ignored (PAUSE, RESUME, TERMINATE and STATISTICS are known)")]
    public static partial void UnknownControlCommand(ILogger logger, string command);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Proxy {Command}")]
    public static partial void ControlCommand(ILogger logger, string command);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Proxy control socket ({SocketType}) cannot send: STATISTICS not answered")]
    public static partial void StatisticsUnanswerable(ILogger logger, string socketType);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "{Pattern}: malformed message from {Side} dropped: {Reason}")]
    public static partial void MalformedMessage(ILogger logger, string pattern, string side, string reason);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Debug, Message = "{Pattern}: worker {Worker} ready ({Ready} ready)")]
    public static partial void WorkerReady(ILogger logger, string pattern, string worker, int ready);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Debug, Message = "{Pattern}: worker {Worker} is gone; its request goes to another worker")]
    public static partial void WorkerGone(ILogger logger, string pattern, string worker);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Information, Message = "{Pattern}: worker {Worker} expired (nothing heard for {Silence} ms)")]
    public static partial void WorkerExpired(ILogger logger, string pattern, string worker, long silence);

    [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Lazy Pirate: no reply from {Endpoint} within {TimeoutMs} ms (attempt {Attempt} of {Attempts}); reconnecting")]
    public static partial void LazyPirateRetry(ILogger logger, string endpoint, long timeoutMs, int attempt, int attempts);

    [LoggerMessage(EventId = 1130, Level = LogLevel.Warning, Message = "Paranoid Pirate worker: queue at {Endpoint} silent for {Liveness} heartbeats; reconnecting in {DelayMs} ms")]
    public static partial void WorkerReconnecting(ILogger logger, string endpoint, int liveness, long delayMs);

    [LoggerMessage(EventId = 1131, Level = LogLevel.Error, Message = "Paranoid Pirate worker: the handler failed; the request gets no reply (the client retries)")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1132, Level = LogLevel.Warning, Message = "Paranoid Pirate worker: malformed message from the queue dropped: {Reason}")]
    public static partial void WorkerMalformed(ILogger logger, string reason);
}
