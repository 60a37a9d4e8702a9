using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Baton.Messages;
using Baton.Processes;
using Baton.Sockets;
using MemoryPack;
using ScottPlot;
using Spectre.Console;

namespace Baton.Bench.Cli.Processes;

/// <summary>
/// <c>baton bench queue</c>: 1,000,000 "MESSAGE" from a parent to one child process through Python's
/// multiprocessing.Queue, pyzmq PUSH/PULL over ipc, a Baton ProcessQueue&lt;string&gt;, a Baton ByteQueue
/// and Baton PUSH/PULL over ipc, in one run.
/// </summary>
internal static class QueueBench
{
    private const string Message = "MESSAGE";

    private static readonly string[] Contenders = ["python-queue", "pyzmq", "baton-queue", "baton-bytes", "baton-push-pull"];

    // With --serializers: the serializer comparison behind the default choice.
    private static readonly string[] SerializerContenders = ["baton-queue-memorypack", "baton-record-messagepack", "baton-record-memorypack"];

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Messages per contender.", DefaultValueFactory = _ => 1_000_000 };
        var json = new Option<bool>("--json") { Description = "Print a JSON array (name, messages_per_second) instead of the table." };
        var plot = new Option<string?>("--plot") { Description = "Also draw a bar chart into this PNG file." };
        var only = new Option<string[]>("--contender") { Description = "Measure only these contenders (repeatable).", AllowMultipleArgumentsPerToken = true };
        var serializers = new Option<bool>("--serializers") { Description = "Also measure MessagePack against MemoryPack for strings and a small record." };
        var command = new Command("queue", "Messages per second from a parent to one child process: Python's multiprocessing.Queue, pyzmq, Baton queues and Baton PUSH/PULL.") { count, json, plot, only, serializers };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(async () =>
        {
            var n = result.GetValue(count);
            if (n <= 0)
                throw new BenchFailure("--count must be 1 or more");
            var chosen = result.GetValue(only) is { Length: > 0 } list ? list : Contenders;
            if (result.GetValue(serializers))
                chosen = [.. chosen, .. SerializerContenders];
            var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            progress.MarkupLine(Markup.Escape($"baton bench queue: {n:N0} messages parent -> child, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
            var rows = new List<(string Name, double Rate)>();
            foreach (var name in chosen)
            {
                progress.MarkupLine(Markup.Escape($"  {name} ..."));
                var rate = name switch
                {
                    "python-queue" or "pyzmq" => (await PythonContenders.RunAsync(name, cancellationToken, $"{n}")).GetProperty("messages_per_second").GetDouble(),
                    "baton-queue" or "baton-bytes" or "baton-push-pull" or "baton-queue-memorypack" or "baton-record-messagepack" or "baton-record-memorypack" => await RunBatonAsync(name, n, cancellationToken),
                    _ => throw new BenchFailure($"unknown contender '{name}' ({string.Join(", ", Contenders)})"),
                };
                progress.MarkupLine(Markup.Escape($"  {name}: {rate:N0} msg/s"));
                rows.Add((name, rate));
            }

            if (result.GetValue(json))
            {
                var array = rows.ConvertAll(r => new Dictionary<string, object> { ["name"] = r.Name, ["messages_per_second"] = Math.Round(r.Rate) });
                Console.WriteLine(JsonSerializer.Serialize(array, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                WriteTable(rows);
            }

            if (result.GetValue(plot) is { } file)
            {
                WritePlot(file, rows, n);
                progress.MarkupLine(Markup.Escape($"plot: {file}"));
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The child's side: <c>baton-bench queue-peer</c>.</summary>
    public static Command CreatePeer()
    {
        var implementation = new Option<string>("--impl") { Required = true };
        var name = new Option<string>("--name") { Required = true };
        var count = new Option<int>("--count") { Required = true };
        var command = new Command("queue-peer", "The child end of baton bench queue.") { implementation, name, count };
        command.Hidden = true;
        command.SetAction((result, _) => BenchFailure.Guard(() =>
        {
            Consume(result.GetValue(implementation)!, result.GetValue(name)!, result.GetValue(count));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static async Task<double> RunBatonAsync(string contender, int count, CancellationToken cancellationToken)
    {
        switch (contender)
        {
            case "baton-queue":
            {
                using var queue = new ProcessQueue<string>();
                return await MeasureAsync(contender, queue.Name, count, () =>
                {
                    for (var i = 0; i < count; i++)
                        queue.Put(Message);
                }, cancellationToken);
            }

            case "baton-queue-memorypack":
            {
                using var queue = new ProcessQueue<string>(serializer: MemoryPackSerializerAdapter<string>.Instance);
                return await MeasureAsync(contender, queue.Name, count, () =>
                {
                    for (var i = 0; i < count; i++)
                        queue.Put(Message);
                }, cancellationToken);
            }

            case "baton-record-messagepack":
            case "baton-record-memorypack":
            {
                using var queue = new ProcessQueue<Tick>(serializer: contender.EndsWith("memorypack", StringComparison.Ordinal) ? MemoryPackSerializerAdapter<Tick>.Instance : null);
                return await MeasureAsync(contender, queue.Name, count, () =>
                {
                    for (var i = 0; i < count; i++)
                        queue.Put(new Tick(i, "EURUSD", 1.0825, 1_000_000));
                }, cancellationToken);
            }

            case "baton-bytes":
            {
                using var queue = new ByteQueue();
                return await MeasureAsync(contender, queue.Name, count, () =>
                {
                    ReadOnlySpan<byte> message = "MESSAGE"u8;
                    for (var i = 0; i < count; i++)
                        queue.Put(message);
                }, cancellationToken);
            }

            default:
            {
                var folder = Directory.CreateTempSubdirectory("baton-bench-ipc-");
                try
                {
                    using var push = new PushSocket(new SocketOptions { Linger = TimeSpan.FromSeconds(30) });
                    var endpoint = push.Bind("ipc://" + Path.Combine(folder.FullName, "queue"));
                    return await MeasureAsync(contender, endpoint, count, () =>
                    {
                        ReadOnlySpan<byte> message = "MESSAGE"u8;
                        for (var i = 0; i < count; i++)
                            push.Send(message);
                    }, cancellationToken);
                }
                finally
                {
                    folder.Delete(recursive: true);
                }
            }
        }
    }

    // Starts the child, waits for its "ready", times the producer until the child says "done".
    private static async Task<double> MeasureAsync(string contender, string name, int count, Action produce, CancellationToken cancellationToken)
    {
        using var child = SelfProcess.Start("queue-peer", "--impl", contender, "--name", name, "--count", $"{count}");
        var errors = child.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await ExpectLineAsync(child, "ready", errors, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var producerDone = TimeSpan.Zero;
            var producer = Task.Factory.StartNew(() => { produce(); producerDone = Stopwatch.GetElapsedTime(started); }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await ExpectLineAsync(child, "done", errors, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            await producer;
            if (Environment.GetEnvironmentVariable("BATON_BENCH_DEBUG") is not null)
            {
                await child.WaitForExitAsync(cancellationToken);
                Console.Error.WriteLine($"{contender}: producer done at {producerDone.TotalMilliseconds:N1} ms, consumer at {elapsed.TotalMilliseconds:N1} ms; {(await errors).Trim()}");
            }
            await child.WaitForExitAsync(cancellationToken);
            return count / elapsed.TotalSeconds;
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
        }
    }

    private static async Task ExpectLineAsync(Process child, string expected, Task<string> errors, CancellationToken cancellationToken)
    {
        var line = await child.StandardOutput.ReadLineAsync(cancellationToken);
        if (line != expected)
        {
            await child.WaitForExitAsync(cancellationToken);
            throw new BenchFailure($"the queue child failed (exit code {child.ExitCode}): {(await errors).Trim()}");
        }
    }

    private static void Consume(string contender, string name, int count)
    {
        switch (contender)
        {
            case "baton-queue":
            case "baton-queue-memorypack":
            {
                using var queue = ProcessQueue<string>.Open(name, contender == "baton-queue" ? null : MemoryPackSerializerAdapter<string>.Instance);
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
                var first = 0L;
                for (var i = 0; i < count; i++)
                {
                    _ = queue.Get();
                    if (i == 0)
                        first = Stopwatch.GetTimestamp();
                }

                if (Environment.GetEnvironmentVariable("BATON_BENCH_DEBUG") is not null)
                    Console.Error.WriteLine($"child: {Stopwatch.GetElapsedTime(first).TotalMilliseconds:N1} ms after the first message, {GC.CollectionCount(0)} gen0 GCs, {GC.GetTotalPauseDuration().TotalMilliseconds:N1} ms paused");
                break;
            }

            case "baton-record-messagepack":
            case "baton-record-memorypack":
            {
                using var queue = ProcessQueue<Tick>.Open(name, contender.EndsWith("memorypack", StringComparison.Ordinal) ? MemoryPackSerializerAdapter<Tick>.Instance : null);
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
                for (var i = 0; i < count; i++)
                    _ = queue.Get();
                break;
            }

            case "baton-bytes":
            {
                using var queue = ByteQueue.Open(name);
                var buffer = new ArrayBufferWriter<byte>(64);
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
                for (var i = 0; i < count; i++)
                {
                    buffer.ResetWrittenCount();
                    queue.Get(buffer);
                }

                break;
            }

            case "baton-push-pull":
            {
                using var pull = new PullSocket();
                pull.Connect(name);
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
                for (var i = 0; i < count; i++)
                    pull.Receive().Dispose();
                break;
            }

            default:
                throw new BenchFailure($"unknown queue contender '{contender}'");
        }

        Console.Out.WriteLine("done");
        Console.Out.Flush();
    }

    private static void WriteTable(List<(string Name, double Rate)> rows)
    {
        var table = new Table().Title("parent -> child, messages per second");
        table.AddColumn("contender");
        table.AddColumn(new TableColumn("msg/s").RightAligned());
        foreach (var (name, rate) in rows)
            table.AddRow(name, rate.ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        var baton = rows.Find(r => r.Name == "baton-queue");
        if (baton.Rate > 0)
        {
            foreach (var (name, rate) in rows)
            {
                if (name != "baton-queue" && rate > 0)
                    AnsiConsole.MarkupLine(Markup.Escape($"baton-queue = {baton.Rate / rate:N1} x {name}"));
            }
        }
    }

    private static void WritePlot(string file, List<(string Name, double Rate)> rows, int count)
    {
        var plot = new Plot();
        for (var i = 0; i < rows.Count; i++)
            plot.Add.Bar(position: i, value: rows[i].Rate / 1e6);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. rows.ConvertAll(r => r.Name)]);
        plot.Axes.Left.Label.Text = "million messages per second";
        plot.Title($"{count:N0} \"MESSAGE\" parent -> child");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(file, 900, 500);
    }
}

/// <summary>MemoryPack as a Baton serializer, for the comparison.</summary>
internal sealed class MemoryPackSerializerAdapter<T> : IMessageSerializer<T>
{
    public static readonly MemoryPackSerializerAdapter<T> Instance = new();

    public void Serialize(IBufferWriter<byte> writer, T value) => MemoryPackSerializer.Serialize(writer, value);

    public T Deserialize(ReadOnlySequence<byte> data) => MemoryPackSerializer.Deserialize<T>(data)!;
}
