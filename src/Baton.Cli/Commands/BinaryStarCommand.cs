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
            "Run one server of a Binary Star pair: an echo server with failover. Prints each state change (primary, backup, active, passive) on stdout. "
            + "Secured, server flags apply to the sockets it binds and client flags to its link to the peer; a --curve-allow folder must hold the peer's public key too.")
        {
            primary, backup, frontend, local, remote, heartbeat, verbose, quiet,
        };

        // Server flags on the two sockets it binds (clients and the peer connect to them), client flags on the one it connects.
        var security = new SecurityFlags(
            SecurityScope.BoundServesConnectedIsClient,
            serverSockets: " on the frontend and the state publisher it binds (--frontend, --local)",
            clientSockets: " to the peer's state publisher (--remote)");
        security.AddTo(command);
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

            // The state link joins this server's publisher to the peer's subscriber: one mechanism, both ways.
            if ((result.GetResult(security.CurveServer) is not null) != (result.GetResult(security.CurveClient) is not null))
            {
                result.AddError("--curve-server and --curve-client go together here: the state link to the peer is CURVE both ways (--curve-client with this server's secret key and --curve-serverkey the peer's public key)");
            }

            if ((result.GetResult(security.PlainAllow) is { Tokens.Count: > 0 }) != (result.GetResult(security.Plain) is not null))
            {
                result.AddError("--plain-allow and --plain go together here: the state link to the peer is PLAIN both ways (--plain with credentials the peer's --plain-allow lets in)");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() =>
        {
            var flags = security.Resolve(result);
            var role = result.GetValue(primary) ? BinaryStarRole.Primary : BinaryStarRole.Backup;
            var isPrimary = role == BinaryStarRole.Primary;
            return RunAsync(
                role,
                result.GetValue(frontend) ?? (isPrimary ? "tcp://*:5001" : "tcp://*:5002"),
                result.GetValue(local) ?? (isPrimary ? "tcp://*:5003" : "tcp://*:5004"),
                result.GetValue(remote) ?? (isPrimary ? "tcp://localhost:5004" : "tcp://localhost:5003"),
                TimeSpan.FromSeconds(result.GetValue(heartbeat)),
                flags,
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
            "                                     ... its backup on host-b",
            "baton binary-star --primary --curve-server a.key_secret --curve-client a.key_secret --curve-serverkey b.key",
            "baton binary-star --backup --curve-server b.key_secret --curve-client b.key_secret --curve-serverkey a.key",
            "                                     a pair over CURVE: each serves its own key and knows its peer's");
    }

    private static async Task<int> RunAsync(BinaryStarRole role, string frontend, string local, string remote, TimeSpan heartbeat, CommandSecurity security, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create(verbose, quiet);
        await using var context = new Context(logging);
        await using var authenticator = await security.StartAuthenticatorAsync(context, quiet, cancellationToken);
        var options = new BinaryStarOptions
        {
            HeartbeatInterval = heartbeat,
            FrontendSecurity = security.Server,
            StatePublisherSecurity = security.Server,
            StateSubscriberSecurity = security.Client,
        };
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
