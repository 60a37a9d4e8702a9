using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Cli.Commands;

/// <summary>
/// Baton's logging on stderr, one line per event: warnings by default (a peer refused at the
/// handshake must not look like a hang), everything with --verbose, nothing with --quiet.
/// </summary>
/// <remarks>
/// A logger of its own rather than Microsoft.Extensions.Logging.Console: that one writes on a
/// background thread (a line logged just before exit can be lost), and brings the options and DI
/// packages into a tool that wants one line format and nothing else.
/// </remarks>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose, bool quiet)
    {
        if (quiet)
        {
            return NullLoggerFactory.Instance;
        }

        return new StderrLogger(verbose ? LogLevel.Debug : LogLevel.Warning, repeats: verbose);
    }

    /// <summary>"baton: warning: PUSH dropped peer at ...": the shape of the CLI's own error lines.</summary>
    /// <param name="minimum">The least level written.</param>
    /// <param name="repeats">
    /// Whether a line identical to one written already is written again. A refused peer is retried
    /// and refused again: by default that is said once; --verbose shows everything.
    /// </param>
    private sealed class StderrLogger(LogLevel minimum, bool repeats) : ILoggerFactory, ILogger
    {
        private const int MaxRemembered = 1000;

        private readonly Lock _lock = new();

        /// <summary>Lines written already, when repeats are left out; bounded, as a long run meets many peers.</summary>
        private readonly HashSet<string> _written = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message = $"{message} ({exception.Message})";
            }

            var line = $"baton: {Level(logLevel)}: {message.ReplaceLineEndings(" ")}";
            lock (_lock)
            {
                if (!repeats && _written.Count < MaxRemembered && !_written.Add(message))
                {
                    return;
                }

                Console.Error.WriteLine(line);
            }
        }

        public void Dispose()
        {
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
    }
}
