using System.CommandLine;
using Baton.Patterns;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary><c>baton broker</c>: a Majordomo (7/MDP) broker for clients and workers in any language.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var bind = new Option<string[]>("--bind", "-b")
        {
            Description = "Endpoint to bind, where clients and workers connect (repeatable), e.g. tcp://*:5555.",
            HelpName = "ENDPOINT",
            AllowMultipleArgumentsPerToken = false,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log everything the broker does (workers coming and going) on stderr." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing, not even warnings about malformed messages." };
        var security = new SecurityFlags();
        var command = new Command("broker", "Run a Majordomo (7/MDP, MDPC01/MDPW01) broker until interrupted; prints each bound endpoint. It binds, so it usually serves: --curve-server (with --curve-allow) or --plain-allow.")
        {
            bind, verbose, quiet,
        };
        security.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(bind) is not { } bound || bound.Tokens.Count == 0)
            {
                result.AddError("missing --bind: the endpoint where clients and workers connect, e.g. tcp://*:5555");
            }

            if (result.GetResult(verbose) is not null && result.GetResult(quiet) is not null)
            {
                result.AddError("give --verbose or --quiet, not both");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(
            () => RunAsync(result.GetValue(bind) ?? [], security.Resolve(result), result.GetValue(verbose), result.GetValue(quiet), cancellationToken)));
        return command.WithExamples(
            "baton broker --bind tcp://*:5555                          the ZeroMQ guide's mdbroker",
            "baton broker -b tcp://*:5555 -b ipc:///tmp/mdp.sock       clients and workers on either endpoint",
            "baton broker -b tcp://127.0.0.1:0 -v                      a free port (printed), workers logged",
            "baton broker -b tcp://*:5555 --curve-server keys/broker.key_secret --curve-allow keys/clients");
    }

    private static async Task<int> RunAsync(string[] endpoints, CommandSecurity security, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create(verbose, quiet);
        await using var context = new Context(logging);

        // Started before the broker's socket, and closed after it (declared first, disposed last).
        await using var authenticator = await security.StartAuthenticatorAsync(context, quiet, cancellationToken);
        await using var broker = new MajordomoBroker(new MajordomoBrokerOptions { Security = security.Single }, context);
        foreach (var endpoint in endpoints)
        {
            // One line per endpoint as bound, so a script that asked for port 0 learns the port.
            Console.Out.WriteLine(broker.Bind(endpoint));
        }

        Console.Out.Flush();
        await broker.RunAsync(cancellationToken);
        return 0;
    }
}
