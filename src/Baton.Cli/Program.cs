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
        var root = new Command("baton", "Baton: ZeroMQ sockets from the command line.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            SocketCommands.CreateSend(),
            SocketCommands.CreateReceive(),
            ProxyCommand.Create(),
            DemoCommand.Create(),
            BrokerCommand.Create(),
            MdpRequestCommand.Create(),
            WorkerCommand.Create(),
            BenchPointerCommand.Create(),
            BinaryStarCommand.Create(),
            TitanicCommand.Create(),
        };

        return await CliRunner.RunAsync(root, args);
    }
}
