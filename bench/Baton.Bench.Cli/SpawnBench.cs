using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Baton.Processes;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary>
/// <c>baton bench spawn</c>: start-to-first-message latency of a child process, Baton's ChildProcess against
/// Python's multiprocessing with the spawn start method, on this machine in one run. Both clocks start
/// just before the start call in an already running parent and stop when the child's first message
/// (a trivial function's result) has arrived.
/// </summary>
internal static class SpawnBench
{
    private const string PythonScript = """
        import json, multiprocessing as mp, statistics, sys, time

        def child(conn):
            conn.send(1)
            conn.close()

        if __name__ == "__main__":
            ctx = mp.get_context("spawn")
            count = int(sys.argv[1])
            samples = []
            for i in range(count + 1):
                receiver, sender = ctx.Pipe(duplex=False)
                p = ctx.Process(target=child, args=(sender,))
                start = time.perf_counter()
                p.start()
                receiver.recv()
                elapsed = time.perf_counter() - start
                p.join()
                sender.close()
                receiver.close()
                if i > 0:  # the first round warms the resource tracker and the page cache
                    samples.append(elapsed * 1000.0)
            print(json.dumps(samples))
        """;

    private const int Batch = 5;

    /// <summary>The pause before each spare sample: a spare's start-up, done in the background.</summary>
    private static readonly TimeSpan SpareRest = TimeSpan.FromSeconds(1);

    public static Command CreateCommand()
    {
        var count = new Option<int>("--count") { Description = "Children started per contender; the figures are medians.", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print a JSON array, one object per contender, instead of the table." };
        var command = new Command("spawn", "Start-to-first-message latency of a child process: Baton ChildProcess against Python multiprocessing (spawn).") { count, json };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(() => RunAsync(result.GetValue(count), result.GetValue(json), cancellationToken)));
        return command;
    }

    /// <summary>
    /// baton-bench turns tiered compilation off to measure steady states; a user's app keeps the runtime's
    /// default, which also starts faster, so the children measured here run with it.
    /// </summary>
    private static readonly ChildProcessOptions ChildOptions = new()
    {
        Environment = new Dictionary<string, string?> { ["DOTNET_TieredCompilation"] = "1" },
    };

    /// <summary>The child's work: its result is the first message the parent receives.</summary>
    private static int Ping() => 1;

    private static async Task<int> RunAsync(int count, bool json, CancellationToken cancellationToken)
    {
        if (count <= 0)
            throw new BenchFailure("--count must be 1 or more");
        var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        progress.MarkupLine(Markup.Escape($"baton bench spawn: {Environment.ProcessorCount} cores, load average {LoadAverage()}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {count} children each"));

        // Interleaved batches, so that both contenders see the same machine load.
        var baton = new List<double>(count);
        var spare = new List<double>(count);
        var python = new List<double>(count);
        while (baton.Count < count)
        {
            var batch = Math.Min(Batch, count - baton.Count);
            progress.MarkupLine(Markup.Escape($"children {baton.Count + 1}-{baton.Count + batch} of {count}"));
            baton.AddRange(await MeasureBatonAsync(batch, cancellationToken));
            spare.AddRange(await MeasureSpareAsync(batch, cancellationToken));
            python.AddRange(await MeasurePythonAsync(batch, cancellationToken));
        }

        var rows = new List<SpawnMeasurement> { Summarize("baton-child-process", baton), Summarize("baton-child-process-spare", spare), Summarize("python-spawn", python) };
        var ratio = rows[2].MedianMs / rows[0].MedianMs;
        var spareRatio = rows[2].MedianMs / rows[1].MedianMs;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
            return 0;
        }

        var table = new Table().Title($"start to first message, median of {count}, interleaved batches of {Batch}");
        table.AddColumn("contender");
        table.AddColumn(new TableColumn("median ms").RightAligned());
        table.AddColumn(new TableColumn("min ms").RightAligned());
        table.AddColumn(new TableColumn("max ms").RightAligned());
        foreach (var row in rows)
            table.AddRow(row.Name, Format(row.MedianMs), Format(row.MinMs), Format(row.MaxMs));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(ratio >= 1
            ? $"Baton starts a child {ratio.ToString("0.00", CultureInfo.InvariantCulture)}x faster than Python's spawn."
            : $"Baton starts a child {(1 / ratio).ToString("0.00", CultureInfo.InvariantCulture)}x slower than Python's spawn.");
        AnsiConsole.WriteLine($"With ChildProcess.KeepSpare, {spareRatio.ToString("0.0", CultureInfo.InvariantCulture)}x faster than Python's spawn.");
        return 0;
    }

    private static async Task<List<double>> MeasureBatonAsync(int count, CancellationToken cancellationToken)
    {
        var samples = new List<double>(count);
        for (var i = 0; i <= count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            await using var child = ChildProcess.Start(Ping, ChildOptions);
            await child.Result.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            await child.JoinAsync(TimeSpan.FromSeconds(60), cancellationToken);
            if (i > 0) // the first round warms the page cache, as for Python
                samples.Add(elapsed);
        }

        return samples;
    }

    private static async Task<List<double>> MeasureSpareAsync(int count, CancellationToken cancellationToken)
    {
        // Each start takes a spare that is ready: the steady state of an app that starts children no faster
        // than a runtime starts. The spare's own start-up happens in the background, between samples.
        var samples = new List<double>(count);
        ChildProcess.KeepSpare = true;
        try
        {
            for (var i = 0; i < count; i++)
            {
                // Give the spare time to start its runtime, warm up and go idle, as it would between an app's starts.
                await Task.Delay(SpareRest, cancellationToken);
                var clock = Stopwatch.StartNew();
                await using var child = ChildProcess.Start(Ping);
                await child.Result.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
                samples.Add(clock.Elapsed.TotalMilliseconds);
                await child.JoinAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }
        }
        finally
        {
            ChildProcess.KeepSpare = false;
        }

        return samples;
    }

    private static async Task<List<double>> MeasurePythonAsync(int count, CancellationToken cancellationToken)
    {
        // spawn re-imports the main module in the child, so the script must be a real file.
        var folder = Directory.CreateTempSubdirectory("baton-bench-spawn-");
        try
        {
            var script = Path.Combine(folder.FullName, "spawn_bench.py");
            await File.WriteAllTextAsync(script, PythonScript, cancellationToken);
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder.FullName };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
            using var python = Process.Start(start) ?? throw new BenchFailure("could not start python3");
            var stdout = python.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = python.StandardError.ReadToEndAsync(cancellationToken);
            await python.WaitForExitAsync(cancellationToken);
            if (python.ExitCode != 0)
                throw new BenchFailure($"python3 failed ({python.ExitCode}): {await stderr}");
            return JsonSerializer.Deserialize<List<double>>(await stdout) ?? throw new BenchFailure("python3 printed no samples");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchFailure($"python3 is needed for the comparison: {e.Message}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static SpawnMeasurement Summarize(string name, List<double> samples)
    {
        samples.Sort();
        var middle = samples.Count / 2;
        var median = samples.Count % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
        return new SpawnMeasurement(name, samples.Count, median, samples[0], samples[^1]);
    }

    /// <summary>The 1-minute load average: both contenders' figures depend on it, so the run says it.</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Format(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>One contender's figures, in milliseconds.</summary>
    private sealed record SpawnMeasurement(string Name, int Count, double MedianMs, double MinMs, double MaxMs);
}
