using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Baton.Cli.Commands;

/// <summary>
/// Baton's logging on stderr, one line per event: warnings by default (a peer refused at the
/// handshake must not look like a hang), everything with --verbose, nothing with --quiet.
/// </summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose, bool quiet)
    {
        if (quiet)
        {
            return NullLoggerFactory.Instance;
        }

        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddConsole(options =>
            {
                options.FormatterName = OneLineFormatter.Name;

                // All of it on stderr: stdout carries the messages only.
                options.LogToStandardErrorThreshold = LogLevel.Trace;
            })
            .AddConsoleFormatter<OneLineFormatter, OneLineOptions>(options => options.Repeats = verbose));
    }

    /// <summary>"baton: warning: PUSH dropped peer at ...": the shape of the CLI's own error lines.</summary>
    private sealed class OneLineOptions : ConsoleFormatterOptions
    {
        /// <summary>
        /// Whether a line identical to one written already is written again. A refused peer is retried
        /// and refused again: by default that is said once; --verbose shows everything.
        /// </summary>
        public bool Repeats { get; set; }
    }

    private sealed class OneLineFormatter(IOptionsMonitor<OneLineOptions> options) : ConsoleFormatter(Name)
    {
        public new const string Name = "baton";

        private const int MaxRemembered = 1000;

        /// <summary>Lines written already, when repeats are left out; bounded, as a long run meets many peers.</summary>
        private readonly HashSet<string> _written = [];

        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (logEntry.Exception is { } exception)
            {
                message = $"{message} ({exception.Message})";
            }

            // Called on the console logger's one writer thread.
            if (!options.CurrentValue.Repeats && _written.Count < MaxRemembered && !_written.Add(message))
            {
                return;
            }

            textWriter.Write($"baton: {Level(logEntry.LogLevel)}: {message.ReplaceLineEndings(" ")}\n");
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
