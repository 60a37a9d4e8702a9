namespace Baton.Cli.Commands;

/// <summary>A problem found while running a command; reported as one line on stderr.</summary>
/// <param name="message">What went wrong, in plain words; empty to say nothing (stdout closed by its reader).</param>
/// <param name="exitCode">1 for a failure, 2 for a command line that cannot run as given, 141 for a closed stdout.</param>
internal sealed class CliFailure(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
