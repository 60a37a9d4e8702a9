using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// Majordomo's log events. Ids 7000-7099 belong to 7/MDP (the RFC's number); they are stable, and
/// retired ones are not reused.
/// </summary>
internal static partial class MajordomoLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Majordomo broker bound to {Endpoint}")]
    public static partial void BrokerBound(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Majordomo broker dropped a message from peer {Peer}: {Reason}")]
    public static partial void BrokerDroppedMessage(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Majordomo worker {Worker} is ready for service '{Service}'")]
    public static partial void WorkerRegistered(ILogger logger, string worker, string service);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Majordomo broker disconnected worker {Worker}: {Reason}")]
    public static partial void WorkerRefused(ILogger logger, string worker, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Majordomo worker {Worker} of service '{Service}' expired: no heartbeat for {ExpiryMs} ms")]
    public static partial void WorkerExpired(ILogger logger, string worker, string service, long expiryMs);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Debug, Message = "Majordomo worker {Worker} of service '{Service}' disconnected")]
    public static partial void WorkerLeft(ILogger logger, string worker, string service);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Majordomo broker dropped a request for service '{Service}': {Count} requests are queued already")]
    public static partial void RequestQueueFull(ILogger logger, string service, int count);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "Majordomo broker failed on a message and dropped it")]
    public static partial void BrokerFailedMessage(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Majordomo worker {Worker} of service '{Service}' is gone: its connection closed")]
    public static partial void WorkerGone(ILogger logger, string worker, string service);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Warning, Message = "Majordomo worker for '{Service}' lost the broker at {Endpoint}; reconnecting in {DelayMs} ms")]
    public static partial void WorkerLostBroker(ILogger logger, string service, string endpoint, long delayMs);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Debug, Message = "Majordomo worker for '{Service}' connecting to {Endpoint}")]
    public static partial void WorkerConnecting(ILogger logger, string service, string endpoint);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Warning, Message = "Majordomo worker for '{Service}' dropped a message from the broker: {Reason}")]
    public static partial void WorkerDroppedMessage(ILogger logger, string service, string reason);

    [LoggerMessage(EventId = 7023, Level = LogLevel.Error, Message = "Majordomo worker for '{Service}': the handler failed; the request gets no reply and the worker reconnects")]
    public static partial void HandlerFailed(ILogger logger, string service, Exception exception);

    [LoggerMessage(EventId = 7024, Level = LogLevel.Debug, Message = "Majordomo worker for '{Service}' was told to disconnect by the broker; reconnecting")]
    public static partial void WorkerToldToDisconnect(ILogger logger, string service);

    [LoggerMessage(EventId = 7040, Level = LogLevel.Warning, Message = "Majordomo client: no reply from '{Service}' within {TimeoutMs} ms (attempt {Attempt} of {Attempts}); retrying")]
    public static partial void ClientRetrying(ILogger logger, string service, long timeoutMs, int attempt, int attempts);

    [LoggerMessage(EventId = 7041, Level = LogLevel.Warning, Message = "Majordomo client dropped a reply: {Reason}")]
    public static partial void ClientDroppedReply(ILogger logger, string reason);
}
