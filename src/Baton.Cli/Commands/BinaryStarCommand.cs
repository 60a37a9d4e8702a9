using System.CommandLine;
using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton binary-star</c>: one server of a Binary Star pair (the guide's bstarsrv2), serving as an
/// echo server: each request comes back unchanged from whichever server is active.
/// </summary>
internal static class BinaryStarCommand
{
    public static Command Create()
    {
        var primary = new Option<bool>("--primary", "-p") { Description = "Run as the primary (active when the pair starts together)." };
        var backup = new Option<bool>("--backup", "-b") { Description = "Run as the backup (takes over when the primary is silent and a client asks)." };
        var frontend = new Option<string?>("--frontend")
        {
            Description = "Endpoint to bind for clients [default: tcp://*:5001 for the primary, tcp://*:5002 for the backup].",
            HelpName = "ENDPOINT",
        };
        var local = new Option<string?>("--local")
        {
            Description = "Endpoint to bind for publishing this server's state to its peer [default: tcp://*:5003 for the primary, tcp://*:5004 for the backup].",
            HelpName = "ENDPOINT",
        };
        var remote = new Option<string?>("--remote")
        {
            Description = "The peer's state endpoint to connect to [default: tcp://localhost:5004 for the primary, tcp://localhost:5003 for the backup].",
            HelpName = "ENDPOINT",
        };
        var heartbeat = new Option<double>("--heartbeat")
        {
            Description = "Seconds between state heartbeats; a peer silent for two is dead. Both servers must agree.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 1,
            CustomParser = CliSeconds.Parser("--heartbeat"),
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log everything (connections, refused requests) on stderr." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing, not even warnings." };
        var command = new Command(
            "binary-star",
            "Run one server of a Binary Star pair: an echo server with failover. Prints each state change (primary, backup, active, passive) on stdout.")
        {
            primary, backup, frontend, local, remote, heartbeat, verbose, quiet,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(primary) is not null == (result.GetResult(backup) is not null))
            {
                result.AddError($"give exactly one of --primary and --backup ({(result.GetResult(primary) is not null ? "both" : "neither")} given)");
            }

            if (result.GetResult(verbose) is not null && result.GetResult(quiet) is not null)
            {
                result.AddError("give --verbose or --quiet, not both");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() =>
        {
            var role = result.GetValue(primary) ? BinaryStarRole.Primary : BinaryStarRole.Backup;
            var isPrimary = role == BinaryStarRole.Primary;
            return RunAsync(
                role,
                result.GetValue(frontend) ?? (isPrimary ? "tcp://*:5001" : "tcp://*:5002"),
                result.GetValue(local) ?? (isPrimary ? "tcp://*:5003" : "tcp://*:5004"),
                result.GetValue(remote) ?? (isPrimary ? "tcp://localhost:5004" : "tcp://localhost:5003"),
                TimeSpan.FromSeconds(result.GetValue(heartbeat)),
                result.GetValue(verbose),
                result.GetValue(quiet),
                cancellationToken);
        }));
        return command.WithExamples(
            "baton binary-star --primary          the guide's pair on one host: clients on 5001, state on 5003 ...",
            "baton binary-star --backup           ... and clients on 5002, state on 5004",
            "baton binary-star --primary --frontend tcp://*:5001 --local tcp://*:5003 --remote tcp://host-b:5004",
            "                                     a primary on host-a, with ...",
            "baton binary-star --backup --frontend tcp://*:5001 --local tcp://*:5004 --remote tcp://host-a:5003",
            "                                     ... its backup on host-b");
    }

    private static async Task<int> RunAsync(BinaryStarRole role, string frontend, string local, string remote, TimeSpan heartbeat, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create(verbose, quiet);
        await using var context = new Context(logging);
        var options = new BinaryStarOptions { HeartbeatInterval = heartbeat };
        await using var star = new BinaryStar(role, frontend, local, remote, EchoAsync, options, context);
        var name = role.ToString().ToLowerInvariant();
        Console.WriteLine($"{name}: clients on {star.FrontendEndpoint}, state on {star.StateEndpoint}, peer at {star.PeerStateEndpoint}");
        star.StateChanged += (_, change) =>
            Console.WriteLine($"{Name(change.Previous)} -> {Name(change.Current)}: {change.Reason}");
        await star.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary>The echo service: the request is the reply.</summary>
    private static ValueTask<Message?> EchoAsync(Message request, CancellationToken cancellationToken) => ValueTask.FromResult<Message?>(request);

    private static string Name(BinaryStarState state) => state.ToString().ToLowerInvariant();
}
