using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Baton.Messages;
using Baton.Patterns;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary>
/// <c>baton bench broker</c>: requests per second and round trips through a Majordomo broker with 1,
/// 4 and 16 echo workers, Baton's broker against a Python (pyzmq) broker shaped as the ZeroMQ guide's,
/// in the same run. Each broker runs in a child process of its own; the clients
/// (<see cref="MajordomoAsyncClient"/>, each keeping a window of requests in flight) and the workers
/// (<see cref="MajordomoWorker"/>) are Baton's in both runs and live in this process, so the rows
/// differ only by the broker.
/// </summary>
internal static class BrokerBench
{
    private const string Service = "echo";

    public static Command CreateCommand()
    {
        var workers = new Option<string>("--workers") { Description = "Worker counts to measure, comma-separated.", DefaultValueFactory = _ => "1,4,16" };
        var requests = new Option<int>("--requests") { Description = "Timed requests per row.", DefaultValueFactory = _ => 20_000 };
        var clients = new Option<int>("--clients") { Description = "Clients, each an asynchronous Majordomo client.", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "Requests each client keeps in flight.", DefaultValueFactory = _ => 16 };
        var size = new Option<int>("--size") { Description = "Request body size in bytes (at least 8).", DefaultValueFactory = _ => 16 };
        var broker = new Option<string>("--broker") { Description = "Which brokers: baton, python or all.", DefaultValueFactory = _ => "all" };
        broker.AcceptOnlyFromAmong("baton", "python", "all");
        var json = new Option<bool>("--json") { Description = "Print a JSON array of the rows on stdout instead of the table." };
        var command = new Command("broker", "Majordomo broker: requests/s and round trips with 1, 4 and 16 workers, Baton's broker against the guide's Python one.")
        {
            workers, requests, clients, window, size, broker, json,
        };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(async () =>
        {
            var counts = new List<int>();
            foreach (var part in result.GetValue(workers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
                {
                    throw new BenchFailure($"--workers takes whole numbers of at least 1, comma-separated, not '{part}'");
                }

                counts.Add(count);
            }

            var settings = new Settings(counts, result.GetValue(requests), result.GetValue(clients), result.GetValue(window), result.GetValue(size), result.GetValue(broker)!);
            if (settings.Requests < 1 || settings.Clients < 1 || settings.Window < 1 || settings.Size < 8)
            {
                throw new BenchFailure("--requests, --clients and --window must be 1 or more, --size 8 or more");
            }

            var rows = await RunAsync(settings, cancellationToken);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
            }
            else
            {
                WriteTable(settings, rows);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The hidden command that runs Baton's broker in a child process: prints its endpoint, runs until stdin closes.</summary>
    public static Command CreateServerCommand()
    {
        var command = new Command("broker-server", "Baton's Majordomo broker for bench broker, run in a child process.") { Hidden = true };
        command.SetAction((_, cancellationToken) => BenchFailure.Guard(async () =>
        {
            await using var broker = new MajordomoBroker();
            Console.WriteLine(broker.Bind("tcp://127.0.0.1:0"));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var running = broker.RunAsync(stop.Token);
            await Task.Run(() => Console.In.ReadToEnd(), CancellationToken.None);
            await stop.CancelAsync();
            await running;
            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private sealed record Settings(List<int> Workers, int Requests, int Clients, int Window, int Size, string Brokers);

    /// <summary>One measured topology.</summary>
    internal sealed record Row
    {
        public string Kind { get; init; } = "broker";

        /// <summary>"majordomo" (the Majordomo broker); "proxy" rows are the ROUTER/DEALER proxy's when that benchmark is present.</summary>
        public required string Topology { get; init; }

        /// <summary>"baton" or "python".</summary>
        public required string Broker { get; init; }

        public required int Workers { get; init; }

        public required int Clients { get; init; }

        public required int Window { get; init; }

        public required int Size { get; init; }

        public required int Requests { get; init; }

        public required double RequestsPerSecond { get; init; }

        public required double P50Us { get; init; }

        public required double P99Us { get; init; }

        /// <summary>
        /// CPU time (user and system) the broker's process spent per request during the timed run: what
        /// the broker itself costs, whoever else the machine's cores are busy with.
        /// </summary>
        public required double BrokerCpuUsPerRequest { get; init; }
    }

    private static async Task<List<Row>> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        string? python = null;
        if (settings.Brokers != "baton")
        {
            python = PythonMajordomoBroker.FindPython() ?? throw new BenchFailure("no Python interpreter can 'import zmq' for the Python broker: install python3-zmq, or measure --broker baton");
        }

        progress.MarkupLine(Markup.Escape($"baton bench broker: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; Baton clients and workers in both runs, each broker in a process of its own"));
        var rows = new List<Row>();
        foreach (var workers in settings.Workers)
        {
            foreach (var kind in (string[])["baton", "python"])
            {
                if (settings.Brokers != "all" && settings.Brokers != kind)
                {
                    continue;
                }

                progress.MarkupLine(Markup.Escape($"  {kind} broker, {workers} worker(s)..."));
                rows.Add(kind == "baton"
                    ? await MeasureBatonAsync(settings, workers, cancellationToken)
                    : await MeasurePythonAsync(python!, settings, workers, cancellationToken));
            }
        }

        // Hook: the plain ROUTER/DEALER proxy row (i10-proxy's ProxyBench) joins here once it is in the tree.
        return rows;
    }

    private static async Task<Row> MeasureBatonAsync(Settings settings, int workers, CancellationToken cancellationToken)
    {
        using var server = SelfProcess.Start("broker-server");
        try
        {
            var endpoint = await server.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancellationToken)
                ?? throw new BenchFailure("Baton's broker process ended before it bound: " + await server.StandardError.ReadToEndAsync(cancellationToken));
            return await MeasureAsync("baton", endpoint, () => CpuTime(server), settings, workers, cancellationToken);
        }
        finally
        {
            server.StandardInput.Close();
            if (!server.WaitForExit(5_000))
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<Row> MeasurePythonAsync(string python, Settings settings, int workers, CancellationToken cancellationToken)
    {
        await using var broker = await PythonMajordomoBroker.StartAsync(python, cancellationToken);
        return await MeasureAsync("python", broker.Endpoint, broker.CpuTime, settings, workers, cancellationToken);
    }

    /// <summary>The CPU time a child process has used so far (user and system).</summary>
    internal static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static async Task<Row> MeasureAsync(string kind, string endpoint, Func<TimeSpan> brokerCpu, Settings settings, int workerCount, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var served = new long[workerCount];
        var workers = new List<(MajordomoWorker Worker, Task Run)>();
        var clients = new List<MajordomoAsyncClient>();
        try
        {
            for (var i = 0; i < workerCount; i++)
            {
                var index = i;
                var worker = new MajordomoWorker(endpoint, Service);
                workers.Add((worker, worker.RunAsync(
                    (request, _) =>
                    {
                        served[index]++;
                        return ValueTask.FromResult(request);
                    },
                    stop.Token)));
            }

            for (var i = 0; i < settings.Clients; i++)
            {
                clients.Add(new MajordomoAsyncClient(endpoint));
            }

            // Warm up until every worker has served: all are connected and READY, and the code is hot.
            var warmup = Stopwatch.StartNew();
            while (!AllServed(served))
            {
                if (warmup.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new BenchFailure($"the {kind} broker did not reach all {workerCount} workers within 60 s");
                }

                await ExchangeAsync(clients, Math.Max(workerCount * settings.Window, Math.Min(1_000, settings.Requests)), settings, null, cancellationToken);
            }

            var latencies = new long[settings.Requests];
            var cpuBefore = brokerCpu();
            var clock = Stopwatch.StartNew();
            await ExchangeAsync(clients, settings.Requests, settings, latencies, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = brokerCpu() - cpuBefore;
            Array.Sort(latencies);
            return new Row
            {
                Topology = "majordomo",
                Broker = kind,
                Workers = workerCount,
                Clients = settings.Clients,
                Window = settings.Window,
                Size = settings.Size,
                Requests = settings.Requests,
                RequestsPerSecond = settings.Requests / seconds,
                P50Us = Micros(latencies[latencies.Length / 2]),
                P99Us = Micros(latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]),
                BrokerCpuUsPerRequest = cpu.TotalMicroseconds / settings.Requests,
            };
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (worker, run) in workers)
            {
                await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await worker.DisposeAsync();
            }

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static bool AllServed(long[] served)
    {
        for (var i = 0; i < served.Length; i++)
        {
            if (Volatile.Read(ref served[i]) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Sends <paramref name="total"/> requests spread over the clients, each keeping its window in flight;
    /// records each round trip (in Stopwatch ticks) when <paramref name="latencies"/> is given.
    /// </summary>
    private static async Task ExchangeAsync(List<MajordomoAsyncClient> clients, int total, Settings settings, long[]? latencies, CancellationToken cancellationToken)
    {
        var tasks = new Task[clients.Count];
        var next = 0;
        for (var c = 0; c < clients.Count; c++)
        {
            var share = total / clients.Count + (c < total % clients.Count ? 1 : 0);
            var first = next;
            var client = clients[c];
            next += share;
            tasks[c] = Task.Run(() => ClientAsync(client, first, share, settings, latencies, cancellationToken), cancellationToken);
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
    }

    private static async Task ClientAsync(MajordomoAsyncClient client, int first, int count, Settings settings, long[]? latencies, CancellationToken cancellationToken)
    {
        var payload = new byte[settings.Size];
        var sent = 0;
        var sentAt = new long[count];
        for (; sent < Math.Min(settings.Window, count); sent++)
        {
            await SendAsync(client, sent, payload, sentAt, cancellationToken);
        }

        for (var received = 0; received < count; received++)
        {
            using var reply = await client.ReceiveAsync(cancellationToken);
            var index = BitConverter.ToInt32(reply.Body.GetSpan(0));
            if (latencies is not null)
            {
                latencies[first + index] = Stopwatch.GetTimestamp() - sentAt[index];
            }

            if (sent < count)
            {
                await SendAsync(client, sent++, payload, sentAt, cancellationToken);
            }
        }
    }

    private static ValueTask SendAsync(MajordomoAsyncClient client, int index, byte[] payload, long[] sentAt, CancellationToken cancellationToken)
    {
        // The payload is the client's own scratch: the message takes a copy.
        BitConverter.TryWriteBytes(payload, index);
        var message = Message.Copy(payload);
        sentAt[index] = Stopwatch.GetTimestamp();
        return client.SendAsync(Service, message, cancellationToken);
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static void WriteTable(Settings settings, List<Row> rows)
    {
        var table = new Table().Title($"Majordomo broker, tcp, {settings.Size} B requests, {settings.Clients} clients × {settings.Window} in flight, {settings.Requests:N0} requests per row");
        table.AddColumn("broker");
        table.AddColumn(new TableColumn("workers").RightAligned());
        table.AddColumn(new TableColumn("requests/s").RightAligned());
        table.AddColumn(new TableColumn("p50 µs").RightAligned());
        table.AddColumn(new TableColumn("p99 µs").RightAligned());
        table.AddColumn(new TableColumn("broker CPU µs/req").RightAligned());
        foreach (var row in rows)
        {
            table.AddRow(row.Broker, row.Workers.ToString(CultureInfo.InvariantCulture), row.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture), row.P50Us.ToString("N0", CultureInfo.InvariantCulture), row.P99Us.ToString("N0", CultureInfo.InvariantCulture), row.BrokerCpuUsPerRequest.ToString("N1", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Console.Write(table);
        foreach (var workers in settings.Workers)
        {
            var baton = rows.Find(r => r.Broker == "baton" && r.Workers == workers);
            var python = rows.Find(r => r.Broker == "python" && r.Workers == workers);
            if (baton is not null && python is not null)
            {
                AnsiConsole.Console.MarkupLine(Markup.Escape($"Baton / Python broker with {workers} worker(s): {baton.RequestsPerSecond / python.RequestsPerSecond:F1}× the requests per second (higher is better), {baton.P50Us / python.P50Us:F2}× the median round trip (lower is better), {python.BrokerCpuUsPerRequest / baton.BrokerCpuUsPerRequest:F1}× less broker CPU per request"));
            }
        }
    }
}
