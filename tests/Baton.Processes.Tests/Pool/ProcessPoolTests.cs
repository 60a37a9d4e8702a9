using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>ProcessPool: Submit and the Map family return the right results in the right order from real worker processes.</summary>
public class ProcessPoolTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task Submit_RunsInAWorker_AndReturnsTheResult()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        Assert.Equal(49, await pool.Submit(PoolWork.Square, 7).WaitAsync(Patience));
        Assert.Equal(12L, await pool.Submit(PoolWork.Add, 5, 7L).WaitAsync(Patience));
        var pid = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Contains(pid, await pool.GetWorkerPidsAsync());
    }

    [Fact]
    public async Task Submit_AsyncMethod_IsAwaitedInTheWorker()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        Assert.Equal(36, await pool.Submit(PoolWork.SquareLaterAsync, 6).WaitAsync(Patience));
        Assert.Equal(3, await pool.Submit(static async () => { await Task.Yield(); return 3; }).WaitAsync(Patience));
    }

    [Fact]
    public async Task Submit_Lambda_ThatCapturesNothing_Runs()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        Assert.Equal(11, await pool.Submit(static (int x) => x + 1, 10).WaitAsync(Patience));
    }

    [Fact]
    public async Task Submit_CapturingLambda_IsRefusedAtTheCall()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var offset = Random.Shared.Next(1, 5);
        var error = Assert.Throws<ArgumentException>(() => { _ = pool.Submit((int x) => x + offset, 1); });
        Assert.Contains("captures", error.Message, StringComparison.Ordinal);
        Assert.Contains("argument", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_UnserializableArgument_FailsAtOnce_NamingTheType()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var error = Assert.Throws<ArgumentException>(() => { _ = pool.Submit(PoolWork.Consume, new MemoryStream()); });
        Assert.Contains("MemoryStream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_UnserializableResultType_FailsAtOnce_NamingTheType()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var error = Assert.Throws<ArgumentException>(() => { _ = pool.Submit(PoolWork.OpenStream); });
        Assert.Contains("Stream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_UnserializableItems_FailAtOnce_NamingTheType()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var error = await Assert.ThrowsAsync<ArgumentException>(() => pool.MapAsync(PoolWork.Consume, new Stream[] { new MemoryStream() }));
        Assert.Contains("Stream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_CapturingLambda_IsRefusedAtTheCall()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var offset = Random.Shared.Next(1, 5);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => pool.MapAsync((int x) => x + offset, [1, 2]));
        Assert.Contains("captures", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exception_ComesBack_WithTypeMessageAndStackTrace()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.Submit(PoolWork.Throw, "broken on purpose").WaitAsync(Patience));
        Assert.Equal("broken on purpose", error.Message);
        Assert.Contains(nameof(PoolWork.Throw), error.StackTrace ?? error.ToString(), StringComparison.Ordinal);

        // The worker that threw carries on.
        Assert.Equal(4, await pool.Submit(PoolWork.Square, 2).WaitAsync(Patience));
    }

    [Fact]
    public async Task MapAsync_ReturnsResultsInOrder_WithDefaultAndExplicitChunks()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var items = Enumerable.Range(0, 1000).ToArray();
        var expected = items.Select(x => x * x).ToArray();
        Assert.Equal(expected, await pool.MapAsync(PoolWork.Square, items).WaitAsync(Patience));
        Assert.Equal(expected, await pool.MapAsync(PoolWork.Square, items, chunkSize: 7).WaitAsync(Patience));
        Assert.Equal(expected, await pool.MapAsync(PoolWork.Square, items, chunkSize: 5000).WaitAsync(Patience));
        Assert.Empty(await pool.MapAsync(PoolWork.Square, Array.Empty<int>()).WaitAsync(Patience));
        Assert.Equal(expected.Take(10), pool.Map(PoolWork.Square, items.Take(10)));
    }

    [Fact]
    public async Task MapAsync_ChunksSpreadOverWorkers_AndReportProgress()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        await pool.WaitForWorkersAsync(2).WaitAsync(Patience);
        var reports = new List<PoolProgress>();
        var done = new TaskCompletionSource();
        var progress = new SynchronousProgress(p =>
        {
            lock (reports)
            {
                reports.Add(p);
                if (p.Completed == p.Total)
                    done.TrySetResult();
            }
        });
        var pids = await pool.MapAsync(PoolWork.PidOf, Enumerable.Range(0, 100), chunkSize: 10, progress).WaitAsync(Patience);
        await done.Task.WaitAsync(Patience);
        Assert.Equal(100, pids.Count);
        lock (reports)
        {
            Assert.Equal(10, reports.Count); // one report per chunk of 10
            Assert.All(reports, r => Assert.Equal(100, r.Total));
            Assert.Equal(100, reports.Max(r => r.Completed));
        }
    }

    [Fact]
    public async Task MapAsync_FirstFailure_IsThrown()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pool.MapAsync(PoolWork.ThrowWhenSeven, Enumerable.Range(0, 20), chunkSize: 3).WaitAsync(Patience));
        Assert.Contains("seven is not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapUnordered_YieldsEveryResult()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var results = new List<int>();
        await foreach (var result in pool.MapUnordered(PoolWork.Square, Enumerable.Range(0, 100), chunkSize: 9).WithCancellation(new CancellationTokenSource(Patience).Token))
            results.Add(result);
        Assert.Equal(Enumerable.Range(0, 100).Select(x => x * x).Order(), results.Order());
    }

    [Fact]
    public async Task Starmap_CallsWithEachTupleOfArguments_InOrder()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var pairs = Enumerable.Range(0, 50).Select(i => (i, (long)i * 1000)).ToArray();
        Assert.Equal(pairs.Select(p => p.i + p.Item2), await pool.StarmapAsync(PoolWork.Add, pairs, chunkSize: 4).WaitAsync(Patience));
        var triples = new[] { (1, "a", 1.5), (2, "b", 2.5) };
        Assert.Equal(["1:a:1.5", "2:b:2.5"], await pool.StarmapAsync(PoolWork.Join3, triples).WaitAsync(Patience));
    }

    [Fact]
    public async Task Initializer_RunsOncePerWorker_BeforeItsTasks()
    {
        var options = new ProcessPoolOptions { Workers = 2, Initializer = (Action<string>)PoolWork.Initialize, InitializerArguments = ["ready"] };
        await using var pool = new ProcessPool(options);
        var states = await pool.MapAsync(static (int _) => PoolWork.InitializerState(), Enumerable.Range(0, 40), chunkSize: 1).WaitAsync(Patience);
        Assert.All(states, s => Assert.EndsWith(":1:ready", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Initializer_ThatThrows_FailsTasks_InsteadOfHanging()
    {
        var options = new ProcessPoolOptions { Workers = 1, Initializer = (Action<string>)PoolWork.FailToInitialize, InitializerArguments = ["x"] };
        await using var pool = new ProcessPool(options);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.Submit(PoolWork.Square, 3).WaitAsync(Patience));
        Assert.Contains("initializer", error.Message, StringComparison.Ordinal);
        Assert.Contains("initializer says no", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxTasksPerWorker_RecyclesWorkers()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, MaxTasksPerWorker = 2 });
        var pids = new List<int>();
        for (var i = 0; i < 6; i++)
            pids.Add(await pool.Submit(PoolWork.Pid).WaitAsync(Patience));
        Assert.Equal(3, pids.Distinct().Count());
        Assert.Equal(pids[0], pids[1]);
        Assert.NotEqual(pids[1], pids[2]);
    }

    [Fact]
    public async Task Executor_SubmitMapShutdown_LikeConcurrentFutures()
    {
        var executor = new ProcessPoolExecutor(maxWorkers: 2);
        try
        {
            var future = executor.Submit<int>((Func<int, int>)PoolWork.Square, 9);
            Assert.Equal([0, 1, 4, 9], executor.Map(PoolWork.Square, [0, 1, 2, 3], timeout: Patience));
            Assert.Equal(81, await future.WaitAsync(Patience));
        }
        finally
        {
            executor.Shutdown(wait: true);
        }

        Assert.Throws<InvalidOperationException>(() => { _ = executor.Submit<int>((Func<int, int>)PoolWork.Square, 1); });
    }

    private sealed class SynchronousProgress(Action<PoolProgress> report) : IProgress<PoolProgress>
    {
        public void Report(PoolProgress value) => report(value);
    }
}
