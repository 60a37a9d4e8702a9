using System.CommandLine;
using Baton.Cli.Commands;

namespace Baton.Cli;

/// <summary>The <c>baton</c> command: ZeroMQ from the shell.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static async Task<int> Main(string[] args)
    {
        // Not RootCommand, which names itself after the entry assembly (Baton.Cli): help must say baton.
        var root = new Command("baton", "Baton: ZeroMQ sockets, the guide's patterns and process-pool workers from the command line.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),

            // Help lists them in this order: sockets, the patterns, processes, then measuring.
            SocketCommands.CreateSend(),
            SocketCommands.CreateReceive(),
            DemoCommand.Create(),
            ProxyCommand.Create(),
            BrokerCommand.Create(),
            MdpRequestCommand.Create(),
            TitanicCommand.Create(),
            BinaryStarCommand.Create(),
            WorkerCommand.Create(),
            KeygenCommand.Create(),
            BenchPointerCommand.Create(),
        };

        return await CliRunner.RunAsync(root, args);
    }
}
