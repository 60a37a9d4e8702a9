using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>Titanic's log events; ids 1350-1399 are Titanic's, stable, and retired ones are not reused.</summary>
internal static partial class TitanicLog
{
    [LoggerMessage(EventId = 1350, Level = LogLevel.Debug, Message = "Titanic stored request {Id} for service '{Service}'")]
    public static partial void Stored(ILogger logger, string id, string service);

    [LoggerMessage(EventId = 1351, Level = LogLevel.Debug, Message = "Titanic stored the reply to request {Id} from service '{Service}'")]
    public static partial void Replied(ILogger logger, string id, string service);

    [LoggerMessage(EventId = 1352, Level = LogLevel.Debug, Message = "Titanic left request {Id} for later: {Reason}")]
    public static partial void Deferred(ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 1353, Level = LogLevel.Error, Message = "Titanic could not use its store for {Service}; the client is told 500")]
    public static partial void StoreFailed(ILogger logger, string service, Exception exception);

    [LoggerMessage(EventId = 1354, Level = LogLevel.Warning, Message = "Titanic dropped a malformed {Service} request ({Frames} frame(s)); the client is told 400")]
    public static partial void Malformed(ILogger logger, string service, int frames);

    [LoggerMessage(EventId = 1355, Level = LogLevel.Error, Message = "Titanic's dispatcher could not deliver request {Id}")]
    public static partial void DispatchFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 1356, Level = LogLevel.Information, Message = "Titanic found {Count} stored request(s) without a reply; delivering them")]
    public static partial void Recovered(ILogger logger, int count);
}
