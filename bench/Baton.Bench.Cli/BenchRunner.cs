using System.Diagnostics;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary>
/// Runs every peer of a test for several rounds, interleaved (round 1 of every peer, then round 2…)
/// so machine noise hits all of them alike, and reports the median of each figure.
/// </summary>
internal static class BenchRunner
{
    /// <summary>How long one measurement may take before the run is declared stuck.</summary>
    private static readonly TimeSpan MeasurementLimit = TimeSpan.FromMinutes(5);

    public static async Task<List<Measurement>> RunAsync(BenchSettings settings, IAnsiConsole progressConsole, CancellationToken cancellationToken)
    {
        var cases = BenchCase.For(settings.Kind, settings.Peer, settings.Transport, Libzmq.TryVersion() is not null, settings.Curve ? CurveKeys.Generate() : null);
        var results = cases.Select(_ => new List<double[]>()).ToList();
        await progressConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"{settings.Kind} {settings.Transport} {settings.Size} B", maxValue: settings.Rounds * cases.Count);
                for (var round = 0; round < settings.Rounds; round++)
                {
                    for (var i = 0; i < cases.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        task.Description = $"{settings.Kind} {settings.Transport} {settings.Size} B: {cases[i].Label}, round {round + 1}/{settings.Rounds}";
                        results[i].Add(settings.Kind == "throughput"
                            ? await MeasureThroughputAsync(cases[i], settings, cancellationToken)
                            : await MeasureLatencyAsync(cases[i], settings, cancellationToken));
                        task.Increment(1);
                    }
                }
            });

        var measurements = new List<Measurement>();
        for (var i = 0; i < cases.Count; i++)
        {
            measurements.Add(Summarize(cases[i].Label, settings, results[i]));
        }

        return measurements;
    }

    private static async Task<double[]> MeasureThroughputAsync(BenchCase test, BenchSettings settings, CancellationToken cancellationToken)
    {
        using var receiver = test.Local.BindPull(settings.Transport);
        using var remote = RemoteEnd.Start(test.Remote, "push", settings.Transport, receiver.Endpoint, settings.Size, settings.Warmup + settings.Count);
        var allocated = 0L;
        var seconds = await RaceAsync(
            Task.Factory.StartNew(
                () =>
                {
                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    var result = receiver.Receive(settings.Warmup, settings.Count, settings.Size);
                    allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                    return result;
                },
                TaskCreationOptions.LongRunning),
            remote,
            cancellationToken);
        return [settings.Count / seconds, (double)allocated / (settings.Warmup + settings.Count), GC.CollectionCount(0)];
    }

    private static async Task<double[]> MeasureLatencyAsync(BenchCase test, BenchSettings settings, CancellationToken cancellationToken)
    {
        using var client = test.Local.BindReq(settings.Transport);
        using var remote = RemoteEnd.Start(test.Remote, "rep", settings.Transport, client.Endpoint, settings.Size, settings.Warmup + settings.Count);
        var samples = new long[settings.Count];
        await RaceAsync(Task.Factory.StartNew(() => { client.Run(settings.Warmup, samples, settings.Size); return 0.0; }, TaskCreationOptions.LongRunning), remote, cancellationToken);
        Array.Sort(samples);
        var toMicroseconds = 1e6 / Stopwatch.Frequency;
        double sum = 0;
        foreach (var sample in samples)
        {
            sum += sample;
        }

        return [sum / samples.Length * toMicroseconds, Percentile(samples, 0.5) * toMicroseconds, Percentile(samples, 0.99) * toMicroseconds, Percentile(samples, 0.999) * toMicroseconds];
    }

    /// <summary>Waits for the measuring end, failing fast if the remote end dies or the run gets stuck.</summary>
    private static async Task<double> RaceAsync(Task<double> local, RemoteEnd remote, CancellationToken cancellationToken)
    {
        var first = await Task.WhenAny(local, remote.Completion).WaitAsync(MeasurementLimit, cancellationToken);
        if (first == remote.Completion && remote.Completion.IsFaulted)
        {
            await remote.Completion;
        }

        var result = await local.WaitAsync(MeasurementLimit, cancellationToken);
        remote.Release();
        await remote.Completion.WaitAsync(MeasurementLimit, cancellationToken);
        return result;
    }

    private static long Percentile(long[] sorted, double quantile) => sorted[(int)Math.Round(quantile * (sorted.Length - 1))];

    private static Measurement Summarize(string label, BenchSettings settings, List<double[]> rounds)
    {
        double Median(int index)
        {
            var values = new double[rounds.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = rounds[i][index];
            }

            Array.Sort(values);
            var middle = values.Length / 2;
            return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        }

        var measurement = new Measurement
        {
            Peer = label,
            Kind = settings.Kind,
            Transport = settings.Transport,
            Mechanism = settings.Mechanism,
            Size = settings.Size,
            Count = settings.Count,
            Rounds = rounds.Count,
        };
        if (settings.Kind == "throughput")
        {
            var rate = Median(0);
            return measurement with
            {
                MessagesPerSecond = Math.Round(rate),
                MegabytesPerSecond = Math.Round(rate * settings.Size / 1e6, 2),
                ReceiverBytesAllocatedPerMessage = Math.Round(Median(1), 1),
            };
        }

        return measurement with { MeanUs = Math.Round(Median(0), 2), P50Us = Math.Round(Median(1), 2), P99Us = Math.Round(Median(2), 2), P999Us = Math.Round(Median(3), 2) };
    }
}
