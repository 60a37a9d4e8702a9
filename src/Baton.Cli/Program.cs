using System.CommandLine;
using System.Runtime.InteropServices;
using Baton.Cli.Commands;

namespace Baton.Cli;

/// <summary>The <c>baton</c> command: ZeroMQ from the shell.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static async Task<int> Main(string[] args)
    {
        // Not RootCommand, which names itself after the entry assembly (Baton.Cli): help must say baton.
        var root = new Command("baton", "Baton: ZeroMQ sockets from the command line.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            SocketCommands.CreateSend(),
            SocketCommands.CreateReceive(),
            DemoCommand.Create(),
            BenchPointerCommand.Create(),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The contract: one line on stderr that names the problem, no help dump.
            var message = string.Join(' ', parsed.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            await Console.Error.WriteLineAsync($"baton: {message}");
            return 2;
        }

        // Ctrl+C and SIGTERM end an endless recv cleanly: the socket closes (its ipc file goes) and we exit 0.
        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
