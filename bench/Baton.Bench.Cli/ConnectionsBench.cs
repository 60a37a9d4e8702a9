using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Baton.Sockets;
using Spectre.Console;

namespace Baton.Bench.Cli;

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
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(() => RunAsync(result.GetValue(connections), result.GetValue(messages), result.GetValue(size), result.GetValue(json), cancellationToken)));
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
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(() => RunClientsAsync(result.GetValue(endpoint)!, result.GetValue(connections), result.GetValue(messages), result.GetValue(size), cancellationToken)));
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
            throw new BenchFailure("--connections and --messages must be 1 or more, --size 0 or more");
        }

        CheckDescriptorLimit(connections);

        // Thousands of connections start at once; do not let the pool grow one thread per half second.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);

        var before = Snapshot();
        await using var router = new RouterSocket(new SocketOptions { Linger = TimeSpan.Zero, SendHighWatermark = 0, ReceiveHighWatermark = 0 });
        var endpoint = router.Bind("tcp://127.0.0.1:*");
        var children = new List<Client>();

        // A client process that dies (out of file descriptors, say) would leave the ROUTER waiting for
        // hellos or requests that never come: its exit stops the run instead.
        using var clientDied = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        EventHandler onExit = (_, _) => clientDied.Cancel();
        var token = clientDied.Token;
        try
        {
            var clock = Stopwatch.StartNew();
            for (var left = connections; left > 0; left -= ConnectionsPerChild)
            {
                var client = StartClient(endpoint, Math.Min(left, ConnectionsPerChild), messages, size);
                children.Add(client);
                client.Process.Exited += onExit;
                client.Process.EnableRaisingEvents = true;
            }

            // Phase 1: every client has connected and said hello.
            for (var i = 0; i < connections; i++)
            {
                // Checked by hand: a receive that finds a message queued returns it without looking at the
                // token, so Ctrl+C would otherwise wait for every queued message to be echoed.
                token.ThrowIfCancellationRequested();
                using var hello = await router.ReceiveAsync(token);
            }

            var connectSeconds = clock.Elapsed.TotalSeconds;
            var clientBytes = 0.0;
            var clientManaged = 0.0;
            foreach (var child in children)
            {
                var (workingSet, managed) = ParseReady(await ReadLineAsync(child, token));
                clientBytes += workingSet;
                clientManaged += managed;
            }

            var after = Snapshot();

            // Phase 2: every client sends its requests at once; the ROUTER echoes each to its sender.
            clock.Restart();
            foreach (var child in children)
            {
                await child.Process.StandardInput.WriteLineAsync("go");
                await child.Process.StandardInput.FlushAsync(token);
            }

            var total = (long)connections * messages;
            for (long i = 0; i < total; i++)
            {
                token.ThrowIfCancellationRequested();
                await router.SendAsync(await router.ReceiveAsync(token), token);
            }

            foreach (var child in children)
            {
                await ReadLineAsync(child, token);
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
                ClientBytesPerConnectionManaged = Math.Round(clientManaged / connections),
            };
        }
        catch (OperationCanceledException) when (clientDied.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw await EndedEarlyAsync(children.First(c => c.Process.HasExited));
        }
        finally
        {
            foreach (var child in children)
            {
                // From here on a client's exit is expected; the end of its input tells it to go.
                child.Process.Exited -= onExit;
                child.Process.StandardInput.Close();
                if (!child.Process.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    child.Process.Kill(entireProcessTree: true);
                }

                child.Process.Dispose();
            }
        }
    }

    private static async Task<int> RunClientsAsync(string endpoint, int connections, int messages, int size, CancellationToken cancellationToken)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);

        // Standard input is the parent's only line to us, and its end means the parent finished or died.
        // Without watching for it from the start, a client whose ROUTER was killed waits for replies (or
        // reconnects) forever: an orphan holding 5,000 sockets.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Not disposed: the input thread may still cancel it while the process ends.
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var parentInput = new Thread(() =>
        {
            // A dedicated thread: Console.In reads block, and the pool's threads are for the sockets.
            while (Console.In.ReadLine() is { } line)
            {
                if (line == "go")
                {
                    go.TrySetResult();
                }
            }

            stop.Cancel();
        })
        {
            IsBackground = true,
            Name = "bench parent input",
        };

        var before = Snapshot();
        var options = new SocketOptions { Linger = TimeSpan.Zero };
        var dealers = new DealerSocket[connections];
        var finished = false;
        try
        {
            parentInput.Start();
            var payload = new byte[size];
            for (var i = 0; i < connections; i++)
            {
                // The hello is queued without a look at the token: check it here, or a client whose
                // parent died early keeps opening sockets that retry a dead endpoint.
                stop.Token.ThrowIfCancellationRequested();
                dealers[i] = new DealerSocket(options);
                dealers[i].Connect(endpoint);
                await dealers[i].SendAsync(payload.AsMemory(), stop.Token);
            }

            // Replies come back only after the ROUTER saw every hello; measure once all are connected.
            foreach (var dealer in dealers)
            {
                await dealer.WaitForPeerAsync(stop.Token);
            }

            var after = Snapshot();
            Console.WriteLine($"ready {after.WorkingSet - before.WorkingSet} {after.Managed - before.Managed}");
            await go.Task.WaitAsync(stop.Token);

            var exchanges = new Task[connections];
            for (var i = 0; i < connections; i++)
            {
                exchanges[i] = ExchangeAsync(dealers[i], payload, messages, stop.Token);
            }

            await Task.WhenAll(exchanges);
            Console.WriteLine("done");
            finished = true;

            // Hold the connections open until the parent has read every result and closes our input.
            await Task.Delay(Timeout.Infinite, stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our input ended: the normal end once we are done, otherwise the parent went away.
            return finished ? 0 : 1;
        }
        finally
        {
            // After a failure the process is about to end and the kernel closes the sockets at once;
            // closing thousands that are retrying a dead ROUTER one by one took some 20 seconds.
            if (finished)
            {
                foreach (var dealer in dealers)
                {
                    dealer?.Dispose();
                }
            }
        }
    }

    private static async Task ExchangeAsync(DealerSocket dealer, byte[] payload, int messages, CancellationToken cancellationToken)
    {
        for (var i = 0; i < messages; i++)
        {
            await dealer.SendAsync(payload.AsMemory(), cancellationToken);
        }

        for (var i = 0; i < messages; i++)
        {
            // As in the ROUTER's loop: a queued reply comes back without the token being looked at.
            cancellationToken.ThrowIfCancellationRequested();
            using var reply = await dealer.ReceiveAsync(cancellationToken);
        }
    }

    private static Client StartClient(string endpoint, int connections, int messages, int size)
    {
        var process = SelfProcess.Start("connections-client", "--endpoint", endpoint, "--connections", $"{connections}", "--messages", $"{messages}", "--size", $"{size}");
        return new Client(process, process.StandardError.ReadToEndAsync());
    }

    private static async Task<string> ReadLineAsync(Client child, CancellationToken cancellationToken)
        => await child.Process.StandardOutput.ReadLineAsync(cancellationToken) ?? throw await EndedEarlyAsync(child);

    /// <summary>The failure for a client that quit before the end, with what it said on stderr.</summary>
    private static async Task<BenchFailure> EndedEarlyAsync(Client child)
    {
        await child.Process.WaitForExitAsync();
        var errors = (await child.Errors).Trim();
        return new BenchFailure($"a client process ended early (exit code {child.Process.ExitCode}){(errors.Length > 0 ? $": {errors}" : "")}");
    }

    private static (double WorkingSet, double Managed) ParseReady(string line)
    {
        var parts = line.Split(' ');
        return parts is ["ready", var workingSet, var managed]
            ? (double.Parse(workingSet, System.Globalization.CultureInfo.InvariantCulture), double.Parse(managed, System.Globalization.CultureInfo.InvariantCulture))
            : throw new BenchFailure($"unexpected line from a client process: {line}");
    }

    /// <summary>Refuses a run whose ROUTER process cannot hold one file descriptor per connection.</summary>
    private static void CheckDescriptorLimit(int connections)
    {
        // Past its limit the process does not merely refuse peers: the runtime needs a descriptor to start
        // a thread (a pipe), and the first time the thread pool grows it aborts with "Out of memory.".
        // Linux only, through /proc; elsewhere the run just tries.
        const string limits = "/proc/self/limits";
        const string name = "Max open files";
        if (!File.Exists(limits))
        {
            return;
        }

        var line = File.ReadLines(limits).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        var fields = line?[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields is not [var soft, ..] || !long.TryParse(soft, System.Globalization.CultureInfo.InvariantCulture, out var limit))
        {
            return; // "unlimited"
        }

        // Room for the listener, the pipes to the children and whatever the runtime opens on the way.
        const int spare = 64;
        var open = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        if (open + connections + spare > limit)
        {
            throw new BenchFailure($"--connections {connections} needs a file descriptor per connection in this process, but it may open only {limit} (ulimit -n) and already holds {open}: use at most {limit - open - spare}");
        }
    }

    private static (long WorkingSet, long Managed) Snapshot()
    {
        // Aggressive: the GC also gives back the memory it holds free, so that both snapshots count what
        // is in use; a plain collection keeps whatever it committed before, and the difference of two
        // working sets could come out negative.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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
        table.AddRow("client processes, managed heap per connection", $"{report.ClientBytesPerConnectionManaged / 1024:N1} KB");
        AnsiConsole.Write(table);
    }

    /// <summary>A <c>connections-client</c> child process and its whole stderr, read as it goes so the pipe never fills.</summary>
    private sealed record Client(Process Process, Task<string> Errors);
}
