using System.CommandLine;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary><c>baton-bench</c> (<c>./baton bench</c> in a checkout): Baton against libzmq, NetMQ and a plain socket, measured in one run.</summary>
internal static class BenchCommand
{
    public static RootCommand Create()
    {
        var bench = new RootCommand("Measure Baton against libzmq, NetMQ and a plain .NET socket on this machine.")
        {
            CreateMeasure("throughput", "One PUSH/PULL stream: messages per second and MB/s."),
            CreateMeasure("latency", "REQ/REP round trips: mean, median, p99 and p99.9 in microseconds."),
            ConnectionsBench.CreateCommand(),
            BrokerBench.CreateCommand(),
            ProxyBench.CreateCommand(),
            SpawnBench.CreateCommand(),
            PoolBench.CreateCommand(),
            ReportCommand.Create(),
            CreatePeer(),
            ConnectionsBench.CreateClientCommand(),
            Processes.QueueBench.Create(),
            Processes.QueueBench.CreatePeer(),
            Processes.PipeBench.Create(),
            Processes.PipeBench.CreatePeer(),
            BrokerBench.CreateServerCommand(),
        };
        return bench;
    }

    private static Command CreateMeasure(string kind, string description)
    {
        var transport = new Option<string>("--transport") { Description = "inproc, ipc or tcp.", DefaultValueFactory = _ => "tcp" };
        transport.AcceptOnlyFromAmong("inproc", "ipc", "tcp");
        var size = new Option<int>("--size") { Description = "Message size in bytes.", DefaultValueFactory = _ => 8 };
        var count = new Option<int?>("--count") { Description = "Timed messages per round (default depends on the size)." };
        var peer = new Option<string>("--peer") { Description = "Who to measure: baton (span calls, and baton-message: the idiomatic SendAsync(new Message)/ReceiveAsync path), baton-message, libzmq, netmq, socket, or all (with the mixed Baton/libzmq pairs).", DefaultValueFactory = _ => "all" };
        peer.AcceptOnlyFromAmong("baton", "baton-message", "libzmq", "netmq", "socket", "all");
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds; the figures are their medians.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of the measurements on stdout instead of the table." };
        var plot = new Option<string?>("--plot") { Description = "Also draw a bar chart into this PNG file." };
        var mechanism = new Option<string>("--mechanism") { Description = "The security mechanism of every socket: null, or curve (the bound, measuring end serves CURVE; the plain socket is left out).", DefaultValueFactory = _ => "null" };
        mechanism.AcceptOnlyFromAmong("null", "curve");
        var command = new Command(kind, description) { transport, size, count, peer, rounds, json, plot, mechanism };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(async () =>
        {
            var bytes = result.GetValue(size);
            var settings = new BenchSettings(
                kind,
                result.GetValue(transport)!,
                bytes,
                result.GetValue(count) ?? DefaultCount(kind, bytes),
                result.GetValue(rounds),
                result.GetValue(peer)!,
                result.GetValue(json),
                result.GetValue(plot),
                result.GetValue(mechanism)!);
            if (settings.Size < 0 || settings.Count <= 0 || settings.Rounds <= 0)
            {
                throw new BenchFailure("--size must be 0 or more, --count and --rounds 1 or more");
            }

            if (settings.Curve && settings.Transport == "inproc")
            {
                // libzmq runs no security handshake over inproc: there is nothing to compare.
                throw new BenchFailure("--mechanism curve measures tcp or ipc; inproc carries no security mechanism");
            }

            return await RunAsync(settings, cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        // Progress goes to stderr so that stdout carries only the table or the JSON.
        var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        progress.MarkupLine(Markup.Escape($"baton bench {settings.Kind}: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, libzmq {Libzmq.TryVersion() ?? "not installed"}, NetMQ {typeof(NetMQ.NetMQSocket).Assembly.GetName().Version}, mechanism {settings.Mechanism.ToUpperInvariant()}"));
        var measurements = await BenchRunner.RunAsync(settings, progress, cancellationToken);
        if (settings.Json)
        {
            Console.WriteLine(BenchReport.ToJson(measurements));
        }
        else
        {
            BenchReport.WriteTable(AnsiConsole.Console, settings, measurements);
        }

        if (settings.Plot is not null)
        {
            BenchReport.WritePlot(settings.Plot, settings, measurements);
            progress.MarkupLine(Markup.Escape($"plot: {settings.Plot}"));
        }

        return 0;
    }

    private static int DefaultCount(string kind, int size) => kind == "latency"
        ? 20_000
        : size switch
        {
            <= 1024 => 1_000_000,
            <= 64 * 1024 => 100_000,
            _ => 2_000,
        };

    private static Command CreatePeer()
    {
        var role = new Option<string>("--role") { Required = true };
        var implementation = new Option<string>("--impl") { Required = true };
        var endpoint = new Option<string>("--endpoint") { Required = true };
        var size = new Option<int>("--size") { Required = true };
        var count = new Option<int>("--count") { Required = true };
        var serverKey = new Option<string?>("--curve-server-key");
        var clientPublic = new Option<string?>("--curve-client-public");
        var clientSecret = new Option<string?>("--curve-client-secret");
        var command = new Command("peer", "The benchmark's other end, run in a child process.") { role, implementation, endpoint, size, count, serverKey, clientPublic, clientSecret };
        command.Hidden = true;
        command.SetAction((result, _) => BenchFailure.Guard(() =>
        {
            var curve = result.GetValue(serverKey) is { } server
                ? CurveKeys.ForClient(server, result.GetValue(clientPublic) ?? throw new BenchFailure("--curve-client-public is missing"), result.GetValue(clientSecret) ?? throw new BenchFailure("--curve-client-secret is missing"))
                : null;

            // Standard input ends when the measuring process is done with us.
            RemoteEnd.RunRole(Driver.ForName(result.GetValue(implementation)!, curve), result.GetValue(role)!, result.GetValue(endpoint)!, result.GetValue(size), result.GetValue(count), () => Console.In.ReadToEnd());
            return Task.FromResult(0);
        }));
        return command;
    }
}
