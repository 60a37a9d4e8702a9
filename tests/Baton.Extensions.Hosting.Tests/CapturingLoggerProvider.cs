using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Baton.Extensions.Hosting.Tests;

/// <summary>A logging provider that keeps what it is given and lets a test wait for an entry.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message)> _entries = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Waits for an entry that <paramref name="match"/> accepts; fails after <paramref name="timeout"/>.</summary>
    public async Task<(string Category, LogLevel Level, EventId Id, string Message)> WaitForAsync(Func<(string Category, LogLevel Level, EventId Id, string Message), bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (var entry in _entries)
            {
                if (match(entry))
                {
                    return entry;
                }
            }

            try
            {
                await _arrived.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching log entry within {timeout.TotalSeconds} s; got: {string.Join(" | ", _entries.Select(e => $"{e.Category}: {e.Message}"))}");
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            provider._entries.Enqueue((category, logLevel, eventId, formatter(state, exception)));
            provider._arrived.Release();
        }
    }
}
