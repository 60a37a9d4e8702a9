using System.CommandLine;
using Baton.Cli.Commands;

namespace Baton.Cli;

/// <summary>The <c>baton</c> command: ZeroMQ from the shell.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Baton: ZeroMQ sockets from the command line.")
        {
            SocketCommands.CreateSend(),
            SocketCommands.CreateReceive(),
            DemoCommand.Create(),
            Bench.BenchCommand.Create(),
        };

        return await CliRunner.RunAsync(root, args);
    }
}
