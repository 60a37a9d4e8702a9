using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Baton.Cli.Commands;
using Baton.Sockets;
using Spectre.Console;

namespace Baton.Cli.Bench;

/// <summary>
/// <c>baton bench connections</c>: thousands of tcp peers on one ROUTER. The DEALER clients live in
/// child processes (each side of a connection costs a file descriptor), say hello, then each sends
/// requests that the ROUTER echoes back by identity. Reports the memory each connection costs on both
/// sides and the messages per second through the ROUTER.
/// </summary>
internal static class ConnectionsBench
{
    private const int ConnectionsPerChild = 5_000;

    public static Command CreateCommand()
    {
        var connections = new Option<int>("--connections") { Description = "Number of tcp connections to the ROUTER.", DefaultValueFactory = _ => 10_000 };
        var messages = new Option<int>("--messages") { Description = "Requests each connection sends (each is echoed back).", DefaultValueFactory = _ => 10 };
        var size = new Option<int>("--size") { Description = "Request size in bytes.", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print a JSON object on stdout instead of the table." };
        var command = new Command("connections", "Many tcp peers on one ROUTER: memory per connection and messages per second.") { connections, messages, size, json };
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() => RunAsync(result.GetValue(connections), result.GetValue(messages), result.GetValue(size), result.GetValue(json), cancellationToken)));
        return command;
    }

    public static Command CreateClientCommand()
    {
        var endpoint = new Option<string>("--endpoint") { Required = true };
        var connections = new Option<int>("--connections") { Required = true };
        var messages = new Option<int>("--messages") { Required = true };
        var size = new Option<int>("--size") { Required = true };
        var command = new Command("connections-client", "The DEALER side of bench connections, run in a child process.") { endpoint, connections, messages, size };
        command.Hidden = true;
        command.SetAction((result, _) => SocketCommands.Guard(() => RunClientsAsync(result.GetValue(endpoint)!, result.GetValue(connections), result.GetValue(messages), result.GetValue(size))));
        return command;
    }

    private static async Task<int> RunAsync(int connections, int messages, int size, bool json, CancellationToken cancellationToken)
    {
        Print(await MeasureAsync(connections, messages, size, cancellationToken), json);
        return 0;
    }

    /// <summary>Runs the whole test and returns its figures.</summary>
    public static async Task<ConnectionsReport> MeasureAsync(int connections, int messages, int size, CancellationToken cancellationToken)
    {
        if (connections <= 0 || messages <= 0 || size < 0)
        {
            throw new CliFailure("--connections and --messages must be 1 or more, --size 0 or more");
        }

        // Thousands of connections start at once; do not let the pool grow one thread per half second.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);

        var before = Snapshot();
        await using var router = new RouterSocket(new SocketOptions { Linger = TimeSpan.Zero, SendHighWatermark = 0, ReceiveHighWatermark = 0 });
        var endpoint = router.Bind("tcp://127.0.0.1:*");
        var children = new List<Process>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (var left = connections; left > 0; left -= ConnectionsPerChild)
            {
                children.Add(StartClient(endpoint, Math.Min(left, ConnectionsPerChild), messages, size));
            }

            // Phase 1: every client has connected and said hello.
            for (var i = 0; i < connections; i++)
            {
                using var hello = await router.ReceiveAsync(cancellationToken);
            }

            var connectSeconds = clock.Elapsed.TotalSeconds;
            var clientBytes = 0.0;
            foreach (var child in children)
            {
                clientBytes += ParseReady(await ReadLineAsync(child, cancellationToken));
            }

            var after = Snapshot();

            // Phase 2: every client sends its requests at once; the ROUTER echoes each to its sender.
            clock.Restart();
            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync(cancellationToken);
            }

            var total = (long)connections * messages;
            for (long i = 0; i < total; i++)
            {
                await router.SendAsync(await router.ReceiveAsync(cancellationToken), cancellationToken);
            }

            foreach (var child in children)
            {
                await ReadLineAsync(child, cancellationToken);
            }

            var exchangeSeconds = clock.Elapsed.TotalSeconds;
            return new ConnectionsReport
            {
                Connections = connections,
                MessagesPerConnection = messages,
                Size = size,
                ConnectSeconds = Math.Round(connectSeconds, 3),
                ExchangeSeconds = Math.Round(exchangeSeconds, 3),
                MessagesPerSecond = Math.Round(total * 2 / exchangeSeconds),
                ServerBytesPerConnectionWorkingSet = Math.Round((after.WorkingSet - before.WorkingSet) / (double)connections),
                ServerBytesPerConnectionManaged = Math.Round((after.Managed - before.Managed) / (double)connections),
                ClientBytesPerConnectionWorkingSet = Math.Round(clientBytes / connections),
            };
        }
        finally
        {
            foreach (var child in children)
            {
                child.StandardInput.Close();
                if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }
    }

    private static async Task<int> RunClientsAsync(string endpoint, int connections, int messages, int size)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);
        var before = Snapshot();
        var options = new SocketOptions { Linger = TimeSpan.Zero };
        var dealers = new DealerSocket[connections];
        try
        {
            var payload = new byte[size];
            for (var i = 0; i < connections; i++)
            {
                dealers[i] = new DealerSocket(options);
                dealers[i].Connect(endpoint);
                await dealers[i].SendAsync(payload.AsMemory());
            }

            // Replies come back only after the ROUTER saw every hello; measure once all are connected.
            foreach (var dealer in dealers)
            {
                await dealer.WaitForPeerAsync();
            }

            var after = Snapshot();
            Console.WriteLine($"ready {after.WorkingSet - before.WorkingSet}");
            if (await Console.In.ReadLineAsync() != "go")
            {
                return 1;
            }

            var exchanges = new Task[connections];
            for (var i = 0; i < connections; i++)
            {
                exchanges[i] = ExchangeAsync(dealers[i], payload, messages);
            }

            await Task.WhenAll(exchanges);
            Console.WriteLine("done");
            await Console.In.ReadToEndAsync();
            return 0;
        }
        finally
        {
            foreach (var dealer in dealers)
            {
                dealer?.Dispose();
            }
        }
    }

    private static async Task ExchangeAsync(DealerSocket dealer, byte[] payload, int messages)
    {
        for (var i = 0; i < messages; i++)
        {
            await dealer.SendAsync(payload.AsMemory());
        }

        for (var i = 0; i < messages; i++)
        {
            using var reply = await dealer.ReceiveAsync();
        }
    }

    private static Process StartClient(string endpoint, int connections, int messages, int size)
    {
        var process = SelfProcess.Start("bench", "connections-client", "--endpoint", endpoint, "--connections", $"{connections}", "--messages", $"{messages}", "--size", $"{size}");
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    private static async Task<string> ReadLineAsync(Process child, CancellationToken cancellationToken)
        => await child.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new CliFailure($"a client process ended early (exit code {(child.HasExited ? child.ExitCode : -1)})");

    private static double ParseReady(string line) => line.StartsWith("ready ", StringComparison.Ordinal)
        ? double.Parse(line["ready ".Length..], System.Globalization.CultureInfo.InvariantCulture)
        : throw new CliFailure($"unexpected line from a client process: {line}");

    private static (long WorkingSet, long Managed) Snapshot()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        return (self.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }

    private static void Print(ConnectionsReport report, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
            return;
        }

        var table = new Table().Title($"{report.Connections:N0} tcp connections to one ROUTER, {report.MessagesPerConnection} × {report.Size} B requests each, echoed");
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("all connected and greeted", $"{report.ConnectSeconds:N2} s");
        table.AddRow("exchange", $"{report.ExchangeSeconds:N2} s");
        table.AddRow("messages/s through the ROUTER (in + out)", $"{report.MessagesPerSecond:N0}");
        table.AddRow("ROUTER process, working set per connection", $"{report.ServerBytesPerConnectionWorkingSet / 1024:N1} KB");
        table.AddRow("ROUTER process, managed heap per connection", $"{report.ServerBytesPerConnectionManaged / 1024:N1} KB");
        table.AddRow("client processes, working set per connection", $"{report.ClientBytesPerConnectionWorkingSet / 1024:N1} KB");
        AnsiConsole.Write(table);
    }
}
