using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary>
/// <c>baton-bench proxy</c>: what a ROUTER/DEALER proxy costs. The same DEALER client and REP server,
/// measured in one run: directly connected, through Baton's <see cref="Proxy"/> (a forwarding loop per
/// direction), and through a guide-style single loop over a <see cref="Poller"/>, in interleaved rounds.
/// Requests per second and round-trip percentiles, with one request in flight (latency) and with a
/// window of requests in flight (throughput). <see cref="MeasureAsync"/> is the reusable part (the
/// broker benchmark includes it).
/// </summary>
internal static class ProxyBench
{
    /// <summary>The paths measured, in the order of each round.</summary>
    public static readonly string[] Paths = ["direct", "proxy", "poller-proxy"];

    public static Command CreateCommand()
    {
        var transport = new Option<string>("--transport") { Description = "inproc, ipc or tcp.", DefaultValueFactory = _ => "tcp" };
        transport.AcceptOnlyFromAmong("inproc", "ipc", "tcp");
        var size = new Option<int>("--size") { Description = "Request size in bytes (at least 8: the sequence number).", DefaultValueFactory = _ => 8 };
        var requests = new Option<int>("--requests") { Description = "Timed requests per path per round.", DefaultValueFactory = _ => 20_000 };
        var window = new Option<int>("--window") { Description = "Requests in flight in the throughput measurement.", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds; the figures are their medians.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print a JSON object on stdout instead of the table." };
        var command = new Command("proxy", "DEALER -> ROUTER/DEALER proxy -> REP against DEALER -> REP direct: requests/s, p50 and p99 round trips.")
        {
            transport, size, requests, window, rounds, json,
        };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(async () =>
        {
            var report = await MeasureAsync(
                result.GetValue(transport)!, result.GetValue(size), result.GetValue(requests), result.GetValue(window), result.GetValue(rounds),
                Console.Error, cancellationToken);
            Print(report, result.GetValue(json));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Measures every path of <see cref="Paths"/> in <paramref name="rounds"/> interleaved rounds, with one
    /// request in flight and with <paramref name="window"/> in flight; returns the medians.
    /// </summary>
    public static async Task<ProxyBenchReport> MeasureAsync(string transport, int size, int requests, int window, int rounds, TextWriter? progress, CancellationToken cancellationToken)
    {
        if (size < 8 || requests <= 0 || window <= 0 || rounds <= 0)
        {
            throw new BenchFailure("--size must be 8 or more, --requests, --window and --rounds 1 or more");
        }

        var latency = new Dictionary<string, List<PathFigures>>();
        var throughput = new Dictionary<string, List<PathFigures>>();
        foreach (var path in Paths)
        {
            latency[path] = [];
            throughput[path] = [];
        }

        for (var round = 1; round <= rounds; round++)
        {
            foreach (var path in Paths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                latency[path].Add(await MeasurePathAsync(path, transport, size, requests, 1, cancellationToken));
                throughput[path].Add(await MeasurePathAsync(path, transport, size, requests, window, cancellationToken));
                progress?.WriteLine($"round {round}/{rounds} {path}: {latency[path][^1].RequestsPerSecond:N0} req/s one at a time (p50 {latency[path][^1].P50Microseconds:N1} µs), {throughput[path][^1].RequestsPerSecond:N0} req/s with {window} in flight");
            }
        }

        var report = new ProxyBenchReport(transport, size, requests, window, rounds, [], []);
        foreach (var path in Paths)
        {
            report.Latency[path] = Median(latency[path]);
            report.Throughput[path] = Median(throughput[path]);
        }

        return report;
    }

    /// <summary>One path, one measurement: a fresh REP server, the proxy if any, a DEALER client keeping <paramref name="window"/> requests in flight.</summary>
    public static async Task<PathFigures> MeasurePathAsync(string path, string transport, int size, int requests, int window, CancellationToken cancellationToken)
    {
        var options = new SocketOptions { Linger = TimeSpan.Zero };
        await using var context = new Context();
        await using var server = new RepSocket(options, context);
        var serverEndpoint = server.Bind(Endpoint(transport));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var serving = Task.Run(() => EchoAsync(server, stop.Token), CancellationToken.None);

        RouterSocket? frontend = null;
        DealerSocket? backend = null;
        Task forwarding = Task.CompletedTask;
        var clientEndpoint = serverEndpoint;
        if (path != "direct")
        {
            frontend = new RouterSocket(options, context);
            backend = new DealerSocket(options, context);
            clientEndpoint = frontend.Bind(Endpoint(transport));
            backend.Connect(serverEndpoint);
            forwarding = path == "proxy"
                ? Task.Run(() => new Proxy(frontend, backend).RunAsync(stop.Token), CancellationToken.None)
                : Task.Run(() => PollerProxyAsync(frontend, backend, stop.Token), CancellationToken.None);
        }

        try
        {
            await using var client = new DealerSocket(options, context);
            client.Connect(clientEndpoint);
            await RoundTripsAsync(client, size, Math.Max(100, requests / 10), window, cancellationToken);
            return await RoundTripsAsync(client, size, requests, window, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await forwarding.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (frontend is not null)
            {
                await frontend.DisposeAsync();
            }

            if (backend is not null)
            {
                await backend.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="requests"/> requests as <c>["", sequence + padding]</c>, keeping
    /// <paramref name="window"/> in flight, and times each from its send to its reply.
    /// </summary>
    public static async Task<PathFigures> RoundTripsAsync(DealerSocket client, int size, int requests, int window, CancellationToken cancellationToken)
    {
        var sentAt = new long[requests];
        var roundTrips = new long[requests];
        var payload = new byte[size];
        var sent = 0;
        var clock = Stopwatch.StartNew();
        for (; sent < Math.Min(window, requests); sent++)
        {
            await SendAsync(sent);
        }

        for (var received = 0; received < requests; received++)
        {
            using var reply = await client.ReceiveAsync(cancellationToken);
            var sequence = BinaryPrimitives.ReadInt32LittleEndian(reply.GetSpan(1));
            roundTrips[received] = Stopwatch.GetTimestamp() - sentAt[sequence];
            if (sent < requests)
            {
                await SendAsync(sent++);
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(roundTrips);
        return new PathFigures(requests / seconds, Microseconds(roundTrips[requests / 2]), Microseconds(roundTrips[Math.Min(requests - 1, (int)(requests * 0.99))]));

        ValueTask SendAsync(int sequence)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload, sequence);
            sentAt[sequence] = Stopwatch.GetTimestamp();
            var message = new Message(Frame.Empty);
            message.Append(Frame.Copy(payload));
            return client.SendAsync(message, cancellationToken);
        }
    }

    /// <summary>The guide's rrbroker loop, for comparison: one poller over both sockets, each ready side drained in turn.</summary>
    private static async Task PollerProxyAsync(RouterSocket frontend, DealerSocket backend, CancellationToken cancellationToken)
    {
        using var poller = new Poller();
        poller.Add(frontend);
        poller.Add(backend);
        var ready = new PollResult();
        while (true)
        {
            await poller.PollAsync(ready, Timeout.InfiniteTimeSpan, cancellationToken);
            while (frontend.TryReceive(out var request, TimeSpan.Zero))
            {
                await backend.SendAsync(request, cancellationToken);
            }

            while (backend.TryReceive(out var reply, TimeSpan.Zero))
            {
                await frontend.SendAsync(reply, cancellationToken);
            }
        }
    }

    private static async Task EchoAsync(RepSocket server, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = await server.ReceiveAsync(cancellationToken);
            await server.SendAsync(request, cancellationToken);
        }
    }

    private static string Endpoint(string transport) => transport switch
    {
        "tcp" => "tcp://127.0.0.1:0",
        "ipc" => "ipc://*",
        _ => $"inproc://proxy-bench-{Guid.NewGuid():N}",
    };

    private static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static PathFigures Median(List<PathFigures> figures)
    {
        var byRate = figures.OrderBy(f => f.RequestsPerSecond).ToList();
        return byRate[byRate.Count / 2];
    }

    private static void Print(ProxyBenchReport report, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
            return;
        }

        var table = new Table().Title(Markup.Escape($"DEALER -> [proxy] -> REP over {report.Transport}, {report.Size} B requests, {report.Requests:N0} per path, medians of {report.Rounds} rounds"));
        table.AddColumn("path");
        table.AddColumn(new TableColumn("req/s, 1 in flight").RightAligned());
        table.AddColumn(new TableColumn("p50 µs").RightAligned());
        table.AddColumn(new TableColumn("p99 µs").RightAligned());
        table.AddColumn(new TableColumn($"req/s, {report.Window} in flight").RightAligned());
        table.AddColumn(new TableColumn("p50 µs").RightAligned());
        table.AddColumn(new TableColumn("p99 µs").RightAligned());
        foreach (var path in Paths)
        {
            var one = report.Latency[path];
            var many = report.Throughput[path];
            table.AddRow(path, $"{one.RequestsPerSecond:N0}", $"{one.P50Microseconds:N1}", $"{one.P99Microseconds:N1}", $"{many.RequestsPerSecond:N0}", $"{many.P50Microseconds:N1}", $"{many.P99Microseconds:N1}");
        }

        foreach (var path in Paths[1..])
        {
            table.AddRow(
                $"{path} / direct",
                $"{report.Latency[path].RequestsPerSecond / report.Latency["direct"].RequestsPerSecond:N2}x", "", "",
                $"{report.Throughput[path].RequestsPerSecond / report.Throughput["direct"].RequestsPerSecond:N2}x", "", "");
        }

        AnsiConsole.Write(table);
    }
}

/// <summary>One path's figures: requests per second and the median and 99th percentile round trip.</summary>
internal sealed record PathFigures(double RequestsPerSecond, double P50Microseconds, double P99Microseconds);

/// <summary>What <c>baton-bench proxy</c> measured: per path, with one request in flight and with a window.</summary>
internal sealed record ProxyBenchReport(string Transport, int Size, int Requests, int Window, int Rounds, Dictionary<string, PathFigures> Latency, Dictionary<string, PathFigures> Throughput);
