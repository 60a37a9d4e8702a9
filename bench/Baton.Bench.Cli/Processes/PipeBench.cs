using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Baton.Processes;
using MessagePack;
using Spectre.Console;

namespace Baton.Bench.Cli.Processes;

/// <summary>
/// <c>baton bench pipe</c>: 8-byte round trips between a parent and a child process through a Baton
/// Pipe, a Unix-domain socket ping-pong (.NET sockets) and Python's multiprocessing.Pipe, in one run.
/// </summary>
internal static class PipeBench
{
    private const int Size = 8;

    private static readonly string[] Contenders = ["baton-pipe", "unix-socket", "python-pipe"];

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Timed round trips per contender.", DefaultValueFactory = _ => 100_000 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed round trips first.", DefaultValueFactory = _ => 10_000 };
        var json = new Option<bool>("--json") { Description = "Print a JSON array (name, p50_us, p99_us, mean_us) instead of the table." };
        var only = new Option<string[]>("--contender") { Description = "Measure only these contenders (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("pipe", "8-byte round trips parent <-> child: Baton Pipe, a Unix-socket ping-pong and Python's multiprocessing.Pipe.") { count, warmup, json, only };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(async () =>
        {
            var n = result.GetValue(count);
            var w = result.GetValue(warmup);
            if (n <= 0 || w < 0)
                throw new BenchFailure("--count must be 1 or more and --warmup 0 or more");
            var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            progress.MarkupLine(Markup.Escape($"baton bench pipe: {n:N0} round trips of {Size} bytes, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
            var rows = new List<(string Name, double P50, double P99, double Mean)>();
            foreach (var name in result.GetValue(only) is { Length: > 0 } list ? list : Contenders)
            {
                progress.MarkupLine(Markup.Escape($"  {name} ..."));
                var row = name switch
                {
                    "python-pipe" => FromJson(name, await PythonContenders.RunAsync(name, cancellationToken, $"{n}", $"{w}")),
                    "baton-pipe" or "unix-socket" => await RunDotnetAsync(name, n, w, cancellationToken),
                    _ => throw new BenchFailure($"unknown contender '{name}' ({string.Join(", ", Contenders)})"),
                };
                progress.MarkupLine(Markup.Escape($"  {name}: p50 {row.P50:N2} us, p99 {row.P99:N2} us"));
                rows.Add(row);
            }

            if (result.GetValue(json))
            {
                var array = rows.ConvertAll(r => new Dictionary<string, object> { ["name"] = r.Name, ["p50_us"] = Math.Round(r.P50, 3), ["p99_us"] = Math.Round(r.P99, 3), ["mean_us"] = Math.Round(r.Mean, 3) });
                Console.WriteLine(JsonSerializer.Serialize(array, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                var table = new Table().Title($"{Size}-byte round trip parent <-> child, microseconds");
                table.AddColumn("contender");
                table.AddColumn(new TableColumn("p50").RightAligned());
                table.AddColumn(new TableColumn("p99").RightAligned());
                table.AddColumn(new TableColumn("mean").RightAligned());
                foreach (var (name, p50, p99, mean) in rows)
                    table.AddRow(name, p50.ToString("N2", CultureInfo.InvariantCulture), p99.ToString("N2", CultureInfo.InvariantCulture), mean.ToString("N2", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                var baton = rows.Find(r => r.Name == "baton-pipe");
                foreach (var row in rows)
                {
                    if (baton.P50 > 0 && row.Name != "baton-pipe")
                        AnsiConsole.MarkupLine(Markup.Escape($"baton-pipe p50 = {baton.P50 / row.P50:N2} x {row.Name}"));
                }
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The child's side: <c>baton-bench pipe-peer</c>, an echo.</summary>
    public static Command CreatePeer()
    {
        var implementation = new Option<string>("--impl") { Required = true };
        var endpoint = new Option<string>("--endpoint") { Required = true };
        var count = new Option<int>("--count") { Required = true };
        var command = new Command("pipe-peer", "The child end of baton bench pipe.") { implementation, endpoint, count };
        command.Hidden = true;
        command.SetAction((result, _) => BenchFailure.Guard(() =>
        {
            Echo(result.GetValue(implementation)!, result.GetValue(endpoint)!, result.GetValue(count));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static (string Name, double P50, double P99, double Mean) FromJson(string name, JsonElement json) =>
        (name, json.GetProperty("p50_us").GetDouble(), json.GetProperty("p99_us").GetDouble(), json.GetProperty("mean_us").GetDouble());

    private static async Task<(string Name, double P50, double P99, double Mean)> RunDotnetAsync(string name, int count, int warmup, CancellationToken cancellationToken)
    {
        var samples = new long[count];
        if (name == "baton-pipe")
        {
            var (mine, theirs) = Pipe.Create();
            using (mine)
            using (theirs)
            {
                // The child's end travels as an argument, as ChildProcess passes it: MessagePack bytes.
                var endpoint = Convert.ToBase64String(MessagePackSerializer.Serialize(theirs));
                await RunWithChildAsync(name, endpoint, count + warmup, () =>
                {
                    Span<byte> payload = stackalloc byte[Size];
                    var buffer = new ArrayBufferWriter<byte>(Size);
                    for (var i = 0; i < warmup + count; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        mine.SendBytes(payload);
                        buffer.ResetWrittenCount();
                        mine.ReceiveBytes(buffer);
                        if (i >= warmup)
                            samples[i - warmup] = Stopwatch.GetTimestamp() - start;
                    }
                }, cancellationToken);
            }
        }
        else
        {
            var folder = Directory.CreateTempSubdirectory("baton-bench-uds-");
            try
            {
                var path = Path.Combine(folder.FullName, "pingpong");
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(path));
                listener.Listen(1);
                await RunWithChildAsync(name, path, count + warmup, () =>
                {
                    using var socket = listener.Accept();
                    Span<byte> payload = stackalloc byte[Size];
                    Span<byte> reply = stackalloc byte[Size];
                    for (var i = 0; i < warmup + count; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        socket.Send(payload);
                        ReceiveExactly(socket, reply);
                        if (i >= warmup)
                            samples[i - warmup] = Stopwatch.GetTimestamp() - start;
                    }
                }, cancellationToken);
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }

        Array.Sort(samples);
        var toUs = 1e6 / Stopwatch.Frequency;
        double sum = 0;
        foreach (var sample in samples)
            sum += sample;
        return (name, samples[samples.Length / 2] * toUs, samples[(int)(samples.Length * 0.99)] * toUs, sum / samples.Length * toUs);
    }

    private static async Task RunWithChildAsync(string name, string endpoint, int total, Action measure, CancellationToken cancellationToken)
    {
        using var child = SelfProcess.Start("pipe-peer", "--impl", name, "--endpoint", endpoint, "--count", $"{total}");
        var errors = child.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await Task.Factory.StartNew(measure, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await child.WaitForExitAsync(cancellationToken);
            if (child.ExitCode != 0)
                throw new BenchFailure($"the {name} child failed (exit code {child.ExitCode}): {(await errors).Trim()}");
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
        }
    }

    private static void Echo(string implementation, string endpoint, int count)
    {
        if (implementation == "baton-pipe")
        {
            using var end = MessagePackSerializer.Deserialize<PipeConnection>(Convert.FromBase64String(endpoint));
            var buffer = new ArrayBufferWriter<byte>(Size);
            for (var i = 0; i < count; i++)
            {
                buffer.ResetWrittenCount();
                end.ReceiveBytes(buffer);
                end.SendBytes(buffer.WrittenSpan);
            }

            return;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(endpoint));
        Span<byte> message = stackalloc byte[Size];
        for (var i = 0; i < count; i++)
        {
            ReceiveExactly(socket, message);
            socket.Send(message);
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = socket.Receive(buffer[read..]);
            if (n == 0)
                throw new BenchFailure("the ping-pong peer closed its socket");
            read += n;
        }
    }
}
