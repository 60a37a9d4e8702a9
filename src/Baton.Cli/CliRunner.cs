using System.CommandLine;
using Baton.Cli.Commands;

namespace Baton.Cli;

/// <summary>
/// Parses and runs a command line with the conventions a shell user expects: a usage error is one
/// line on stderr and exit code 2; a signal ends the command promptly (see <see cref="Interruption"/>).
/// </summary>
internal static class CliRunner
{
    /// <summary>The exit code of a command line that cannot run as given.</summary>
    public const int UsageErrorExitCode = 2;

    public static async Task<int> RunAsync(Command root, string[] args)
    {
        CliHelp.Configure(root);

        // No response files: a frame such as "@alice" is a frame, not a file to read arguments from.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (UsageErrors.Find(parsed) is { } problem)
        {
            await Console.Error.WriteLineAsync($"baton: {problem}");
            return UsageErrorExitCode;
        }

        using var interruption = new Interruption();
        // On the pool: a command that blocks its thread (a console read) must not keep the signal's grace from running.
        var command = Task.Run(() => parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interruption.Token));
        return await interruption.WaitAsync(command);
    }
}
