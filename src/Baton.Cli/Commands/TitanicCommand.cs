using System.CommandLine;
using Baton.Patterns;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton titanic</c>: the Titanic server (9/TSP) for a Majordomo broker, keeping requests and
/// replies durably in a folder, so that they survive the restart of any party.
/// </summary>
internal static class TitanicCommand
{
    public static Command Create()
    {
        var connect = new Option<string>("--connect", "-c")
        {
            Description = "The Majordomo broker's endpoint, e.g. tcp://127.0.0.1:5555.",
            HelpName = "ENDPOINT",
        };
        var store = new Option<string>("--store", "-s")
        {
            Description = "Folder for requests and replies (created if missing); every write is flushed to the disk before it is acknowledged.",
            HelpName = "DIR",
        };
        var heartbeat = new Option<double>("--heartbeat")
        {
            Description = "Seconds between heartbeats of the titanic.* workers to the broker; a broker silent for three is reconnected to. Match the broker's (baton broker: 2.5).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 2.5,
            CustomParser = CliSeconds.Parser("--heartbeat"),
        };
        var timeout = new Option<double>("--timeout", "-t")
        {
            Description = "Seconds to wait for a service's reply to a stored request before trying it again later.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 2.5,
            CustomParser = CliSeconds.Parser("--timeout"),
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log everything (each request stored, delivered, deferred) on stderr." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing, not even warnings." };
        var command = new Command(
            "titanic",
            "Run the Titanic server (9/TSP): the services titanic.request, titanic.reply and titanic.close on a Majordomo broker, with requests and replies kept on the disk.")
        {
            connect, store, heartbeat, timeout, verbose, quiet,
        };

        // Every socket of Titanic connects to the broker: its three workers and its dispatcher's client.
        var security = new SecurityFlags(SecurityScope.ConnectsOnly, clientSockets: " to the broker");
        security.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(connect) is null)
            {
                result.AddError("missing --connect: the Majordomo broker's endpoint");
            }
            else if (result.GetResult(store) is null)
            {
                result.AddError("missing --store: the folder for requests and replies");
            }

            if (result.GetResult(verbose) is not null && result.GetResult(quiet) is not null)
            {
                result.AddError("give --verbose or --quiet, not both");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() => RunAsync(
            result.GetValue(connect)!,
            result.GetValue(store)!,
            TimeSpan.FromSeconds(result.GetValue(heartbeat)),
            TimeSpan.FromSeconds(result.GetValue(timeout)),
            security.Resolve(result).Client,
            result.GetValue(verbose),
            result.GetValue(quiet),
            cancellationToken)));
        return command.WithExamples(
            "baton broker --bind tcp://*:5555 &",
            "baton titanic --connect tcp://127.0.0.1:5555 --store ./titanic",
            "baton mdp-request -c tcp://127.0.0.1:5555 titanic.request echo hello    200 and the request's id",
            "baton mdp-request -c tcp://127.0.0.1:5555 titanic.reply ID              200 and the reply, or 300 pending",
            "baton mdp-request -c tcp://127.0.0.1:5555 titanic.close ID              forget it",
            "baton titanic -c tcp://127.0.0.1:5555 -s ./titanic --curve-client titanic.key_secret --curve-serverkey broker.key");
    }

    private static async Task<int> RunAsync(string connect, string folder, TimeSpan heartbeat, TimeSpan timeout, SocketSecurity security, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create(verbose, quiet);
        await using var context = new Context(logging);
        TitanicStore store;
        try
        {
            store = new TitanicStore(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure($"cannot use {folder} as the store: {e.Message}");
        }

        var options = new TitanicOptions
        {
            RequestTimeout = timeout,
            WorkerOptions = new MajordomoWorkerOptions { HeartbeatInterval = heartbeat, ReconnectInterval = heartbeat },
            Security = security,
        };
        var titanic = new Titanic(connect, store, options, context);
        var pending = store.PendingRequests().Count;
        Console.WriteLine($"titanic: broker at {connect}, store in {store.Directory} ({pending} request(s) pending)");
        await titanic.RunAsync(cancellationToken);
        return 0;
    }
}
