using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Baton.Processes;

namespace Baton.Bench.Cli;

/// <summary>
/// <c>baton-bench pool</c>: the process pool's overhead (a million trivial tasks) against Python's
/// multiprocessing.Pool.map and concurrent.futures.ProcessPoolExecutor.map with the same chunk size, the
/// speed-up on CPU-bound work (a Mandelbrot image) against one core and Parallel.For, and the time to
/// recover from a worker's kill -9. All in one run, on this machine.
/// </summary>
internal static class PoolBench
{
    public static Command CreateCommand()
    {
        var count = new Option<int>("--count") { Description = "Trivial tasks to map.", DefaultValueFactory = _ => 1_000_000 };
        var workers = new Option<int>("--workers") { Description = "Worker processes (Baton and Python alike).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var chunkSize = new Option<int>("--chunk-size") { Description = "Items per task for Python's pools; 0 takes multiprocessing's default (count / (workers * 4), rounded up), also given to ProcessPoolExecutor.map.", DefaultValueFactory = _ => 0 };
        var batonChunkSize = new Option<int>("--baton-chunk-size") { Description = "Items per task for Baton's pool; 0 (default) takes the same as Python's.", DefaultValueFactory = _ => 0 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of each measurement; the figures are their medians.", DefaultValueFactory = _ => 3 };
        var noPython = new Option<bool>("--no-python") { Description = "Skip Python's pools." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array, one object per measurement, instead of the table." };
        var only = new Option<string>("--only") { Description = "Run one part: overhead, mandelbrot or crash (default: all).", DefaultValueFactory = _ => "all" };
        only.AcceptOnlyFromAmong("all", "overhead", "mandelbrot", "crash");
        var command = new Command("pool", "ProcessPool: a million trivial tasks against Python's pools, Mandelbrot speed-up, crash recovery.") { count, workers, chunkSize, batonChunkSize, rounds, noPython, only, json };
        command.SetAction((result, cancellationToken) => BenchFailure.Guard(() => RunAsync(
            result.GetValue(count), result.GetValue(workers), result.GetValue(chunkSize), result.GetValue(batonChunkSize), result.GetValue(rounds), result.GetValue(noPython), result.GetValue(only)!, result.GetValue(json), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(int count, int workers, int chunkSize, int batonChunkSize, int rounds, bool noPython, string only, bool json, CancellationToken cancellationToken)
    {
        if (count < 1 || workers < 1 || chunkSize < 0 || batonChunkSize < 0 || rounds < 1)
            throw new BenchFailure("--count, --workers and --rounds must be 1 or more, --chunk-size and --baton-chunk-size 0 or more");
        var chunk = chunkSize > 0 ? chunkSize : DefaultChunkSize(count, workers);
        var batonChunk = batonChunkSize > 0 ? batonChunkSize : chunk;
        Console.Error.WriteLine($"baton bench pool: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; {count:N0} tasks, {workers} workers, chunk size {batonChunk} (Baton), {chunk} (Python)");
        var results = new List<Dictionary<string, object>>();

        // 1. Overhead: trivial tasks.
        if (only is "all" or "overhead")
            await OverheadAsync(results, count, workers, chunk, batonChunk, rounds, noPython, cancellationToken);

        // 2. CPU-bound: Mandelbrot rows.
        if (only is "all" or "mandelbrot")
            results.Add(await MandelbrotAsync(workers, rounds, cancellationToken));

        // 3. Crash recovery.
        if (only is "all" or "crash")
        {
            results.Add(await CrashRecoveryAsync(spare: 0, rounds, cancellationToken));
            results.Add(await CrashRecoveryAsync(spare: 1, rounds, cancellationToken));
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var result in results)
                Console.WriteLine(string.Join("  ", result.Select(kv => $"{kv.Key}={Convert.ToString(kv.Value, CultureInfo.InvariantCulture)}")));
        }

        return 0;
    }

    private static async Task OverheadAsync(List<Dictionary<string, object>> results, int count, int workers, int chunk, int batonChunk, int rounds, bool noPython, CancellationToken cancellationToken)
    {
        double batonRate;
        await using (var pool = new ProcessPool(new ProcessPoolOptions { Workers = workers }))
        {
            await pool.WaitForWorkersAsync(workers, cancellationToken);
            var items = new int[count];
            for (var i = 0; i < items.Length; i++)
                items[i] = i;
            await pool.MapAsync(Trivial, items.AsSpan(0, Math.Min(count, 10_000)).ToArray(), cancellationToken: cancellationToken); // warm-up
            var rates = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                var watch = Stopwatch.StartNew();
                var mapped = await pool.MapAsync(Trivial, items, batonChunk, cancellationToken: cancellationToken);
                watch.Stop();
                if (mapped.Count != count || mapped[count - 1] != Trivial(count - 1))
                    throw new BenchFailure("the pool returned wrong results");
                rates.Add(count / watch.Elapsed.TotalSeconds);
            }

            batonRate = Median(rates);
            results.Add(new() { ["name"] = "baton-pool-map", ["tasks_per_second"] = Math.Round(batonRate), ["chunk_size"] = batonChunk });
            Console.Error.WriteLine($"  baton ProcessPool.MapAsync: {batonRate:N0} tasks/s");
        }

        if (!noPython)
        {
            foreach (var (name, mode) in new[] { ("python-pool-map", "pool"), ("python-executor-map", "executor") })
            {
                var rate = await PythonRateAsync(mode, count, workers, chunk, rounds, cancellationToken);
                if (rate is { } r)
                {
                    results.Add(new() { ["name"] = name, ["tasks_per_second"] = Math.Round(r), ["chunk_size"] = chunk, ["baton_ratio"] = Math.Round(batonRate / r, 1) });
                    Console.Error.WriteLine($"  {name}: {r:N0} tasks/s (Baton {batonRate / r:0.0}x)");
                }
            }
        }

    }

    /// <summary>The trivial task: what a million of them measure is the pool, not the work.</summary>
    internal static int Trivial(int x) => x + 1;

    private const int MandelbrotWidth = 1200;
    private const int MandelbrotHeight = 900;
    private const int MandelbrotIterations = 2000;

    /// <summary>One row of the image: iteration counts per pixel.</summary>
    internal static short[] MandelbrotRow(int y)
    {
        var row = new short[MandelbrotWidth];
        var ci = -1.2 + 2.4 * y / MandelbrotHeight;
        for (var x = 0; x < MandelbrotWidth; x++)
        {
            var cr = -2.1 + 2.8 * x / MandelbrotWidth;
            double zr = 0, zi = 0;
            var n = 0;
            while (n < MandelbrotIterations && zr * zr + zi * zi <= 4)
            {
                var t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }

            row[x] = (short)n;
        }

        return row;
    }

    private static async Task<Dictionary<string, object>> MandelbrotAsync(int workers, int rounds, CancellationToken cancellationToken)
    {
        var rows = new int[MandelbrotHeight];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = i;
        MandelbrotRow(MandelbrotHeight / 2); // JIT

        var single = new List<double>();
        var parallel = new List<double>();
        var pooled = new List<double>();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = workers });
        await pool.WaitForWorkersAsync(workers, cancellationToken);
        await pool.MapAsync(MandelbrotRow, [0, 1], chunkSize: 1, cancellationToken: cancellationToken); // warm-up
        for (var r = 0; r < rounds; r++)
        {
            var watch = Stopwatch.StartNew();
            foreach (var y in rows)
                MandelbrotRow(y);
            single.Add(watch.Elapsed.TotalSeconds);

            watch.Restart();
            var image = new short[MandelbrotHeight][];
            Parallel.For(0, MandelbrotHeight, y => image[y] = MandelbrotRow(y));
            parallel.Add(watch.Elapsed.TotalSeconds);

            // Rows cost very different amounts: small chunks keep every worker busy to the end.
            watch.Restart();
            var pooledImage = await pool.MapAsync(MandelbrotRow, rows, chunkSize: 8, cancellationToken: cancellationToken);
            pooled.Add(watch.Elapsed.TotalSeconds);
            if (pooledImage.Count != MandelbrotHeight || pooledImage[MandelbrotHeight / 2][MandelbrotWidth / 2] != image[MandelbrotHeight / 2][MandelbrotWidth / 2])
                throw new BenchFailure("the pool computed a different image");
        }

        var (s, p, q) = (Median(single), Median(parallel), Median(pooled));
        Console.Error.WriteLine($"  mandelbrot {MandelbrotWidth}x{MandelbrotHeight}: one core {s:0.000} s, Parallel.For {p:0.000} s ({s / p:0.00}x), pool of {workers} {q:0.000} s ({s / q:0.00}x, {s / q / workers:0.00} per core; {p / q:0.00}x Parallel.For)");
        return new()
        {
            ["name"] = "pool-mandelbrot",
            ["workers"] = workers,
            ["single_core_seconds"] = Math.Round(s, 4),
            ["parallel_for_seconds"] = Math.Round(p, 4),
            ["pool_seconds"] = Math.Round(q, 4),
            ["speedup"] = Math.Round(s / q, 2),
            ["speedup_per_core"] = Math.Round(s / q / workers, 2),
            ["parallel_for_speedup"] = Math.Round(s / p, 2),
        };
    }

    /// <summary>Writes the worker's pid where the benchmark can read it, then blocks: a busy worker to kill.</summary>
    internal static int Busy(string pidFile)
    {
        File.WriteAllText(pidFile + ".tmp", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.Move(pidFile + ".tmp", pidFile);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    internal static int Pid() => Environment.ProcessId;

    private static async Task<Dictionary<string, object>> CrashRecoveryAsync(int spare, int rounds, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("baton-bench-pool-");
        var failed = new List<double>();
        var replaced = new List<double>();
        try
        {
            // One worker: the next task must wait for the replacement, so its time is the whole recovery.
            // Tiered compilation on, as an app has it by default (this program turns it off to measure steady states).
            // With a spare, the next task goes to the warm spare at once.
            await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, SpareWorkers = spare, WorkerEnvironment = new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "1" } });
            await pool.WaitForWorkersAsync(1 + spare, cancellationToken);
            for (var r = 0; r < Math.Max(rounds, 5); r++)
            {
                var pidFile = Path.Combine(folder.FullName, $"busy{r}");
                var busy = pool.Submit(Busy, pidFile);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(TimeSpan.FromSeconds(60));
                while (!File.Exists(pidFile))
                    await Task.Delay(5, wait.Token);
                var pid = int.Parse(await File.ReadAllTextAsync(pidFile, wait.Token), CultureInfo.InvariantCulture);
                var next = pool.Submit(Pid); // queued behind the busy task
                var watch = Stopwatch.StartNew();
                Process.GetProcessById(pid).Kill();
                try
                {
                    await busy.WaitAsync(wait.Token);
                    throw new BenchFailure("the killed worker's task did not fail");
                }
                catch (WorkerCrashedException)
                {
                    failed.Add(watch.Elapsed.TotalMilliseconds);
                }

                var newPid = await next.WaitAsync(wait.Token);
                replaced.Add(watch.Elapsed.TotalMilliseconds);
                if (newPid == pid)
                    throw new BenchFailure("the task ran on the killed worker");
                await pool.WaitForWorkersAsync(1 + spare, wait.Token); // the next round starts with a full pool
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        var (f, n) = (Median(failed), Median(replaced));
        Console.Error.WriteLine($"  crash recovery (kill -9 of a busy worker{(spare > 0 ? ", one spare worker" : "")}): its task failed after {f:0.0} ms; a replacement finished the next task after {n:0.0} ms");
        return new() { ["name"] = spare > 0 ? "pool-crash-recovery-spare" : "pool-crash-recovery", ["task_failed_ms"] = Math.Round(f, 1), ["replacement_took_work_ms"] = Math.Round(n, 1) };
    }

    private static async Task<double?> PythonRateAsync(string mode, int count, int workers, int chunk, int rounds, CancellationToken cancellationToken)
    {
        var script = Path.Combine(Path.GetTempPath(), $"baton-bench-pool-{Environment.ProcessId}.py");
        await File.WriteAllTextAsync(script, PythonScript, cancellationToken);
        try
        {
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { script, mode, count.ToString(CultureInfo.InvariantCulture), workers.ToString(CultureInfo.InvariantCulture), chunk.ToString(CultureInfo.InvariantCulture), rounds.ToString(CultureInfo.InvariantCulture) })
                start.ArgumentList.Add(arg);
            Process python;
            try
            {
                python = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine("  python3 not found: Python's pools skipped");
                return null;
            }

            using (python)
            {
                var output = await python.StandardOutput.ReadToEndAsync(cancellationToken);
                var error = await python.StandardError.ReadToEndAsync(cancellationToken);
                await python.WaitForExitAsync(cancellationToken);
                if (python.ExitCode != 0)
                    throw new BenchFailure($"python3 {mode} failed: {error.Trim()}");
                return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    private const string PythonScript = """
        import sys, time, statistics
        from multiprocessing import Pool
        from concurrent.futures import ProcessPoolExecutor

        def trivial(x):
            return x + 1

        def main():
            mode, count, workers, chunk, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            items = list(range(count))
            rates = []
            if mode == "pool":
                with Pool(workers) as pool:
                    pool.map(trivial, items[:10000])
                    for _ in range(rounds):
                        start = time.perf_counter()
                        result = pool.map(trivial, items, chunksize=chunk)
                        rates.append(count / (time.perf_counter() - start))
                        assert result[-1] == count
            else:
                with ProcessPoolExecutor(workers) as executor:
                    list(executor.map(trivial, items[:10000], chunksize=chunk))
                    for _ in range(rounds):
                        start = time.perf_counter()
                        result = list(executor.map(trivial, items, chunksize=chunk))
                        rates.append(count / (time.perf_counter() - start))
                        assert result[-1] == count
            print(statistics.median(rates))

        if __name__ == "__main__":
            main()
        """;

    private static int DefaultChunkSize(int count, int workers)
    {
        var per = (long)workers * 4;
        return (int)Math.Max(1, (count + per - 1) / per);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }
}
