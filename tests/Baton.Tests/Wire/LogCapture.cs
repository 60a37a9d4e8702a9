using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Tests.Wire;

/// <summary>Records every log line of the sockets of a <see cref="Context"/>, and lets tests wait for one.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];

    public LogCapture()
    {
        Factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));
    }

    public ILoggerFactory Factory { get; }

    public Context NewContext() => new(Factory);

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Entries for dropped peers (event id 2).</summary>
    public IReadOnlyList<LogEntry> Drops => Entries.Where(e => e.EventId == 2).ToList();

    /// <summary>Waits for a log entry that matches (including one logged already).</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var existing = _entries.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((match, done));
        }

        try
        {
            return await done.Task.WaitAsync(timeout ?? TestUtil.Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("no matching log entry; saw:\n" + string.Join("\n", Entries));
        }
    }

    /// <summary>Waits for a dropped-peer entry whose reason contains <paramref name="text"/>.</summary>
    public Task<LogEntry> WaitForDropAsync(string text, TimeSpan? timeout = null)
        => WaitForAsync(e => e.EventId == 2 && e.Message.Contains(text, StringComparison.OrdinalIgnoreCase), timeout);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        List<TaskCompletionSource<LogEntry>> matched = [];
        lock (_lock)
        {
            _entries.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    matched.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var done in matched)
        {
            done.TrySetResult(entry);
        }
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception)));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message)
{
    public override string ToString() => $"{Level} [{EventId}] {Category}: {Message}";
}
