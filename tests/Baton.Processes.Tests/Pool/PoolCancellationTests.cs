using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>Cancellation, timeouts, shutdown and recycling: a running task is stopped, or its worker killed after the grace period; nothing hangs.</summary>
public class PoolCancellationTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task PendingTask_IsCancelled_AndNeverRuns()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromSeconds(30) });
        using var stopBlocker = new CancellationTokenSource();
        var blocker = pool.Submit<int>(new PoolTaskOptions { CancellationToken = stopBlocker.Token }, (Func<string, CancellationToken, int>)PoolWork.BlockUntilCancelled, folder.File("blocker"), CancellationToken.None);
        await PoolTestFolder.WaitForStartAsync(folder.File("blocker"));

        using var cancel = new CancellationTokenSource();
        var pending = pool.Submit<int>(new PoolTaskOptions { CancellationToken = cancel.Token }, (Func<string, int>)PoolWork.BlockForever, folder.File("never"));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Patience));

        stopBlocker.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocker.WaitAsync(Patience));
        Assert.Equal(49, await pool.Submit(PoolWork.Square, 7).WaitAsync(Patience));
        Assert.False(File.Exists(folder.File("never")));
    }

    [Fact]
    public async Task RunningTask_SeesItsTokenSignalled_AndTheWorkerIsKept()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromSeconds(30) });
        using var cancel = new CancellationTokenSource();
        var running = pool.Submit<int>(new PoolTaskOptions { CancellationToken = cancel.Token }, (Func<string, CancellationToken, int>)PoolWork.BlockUntilCancelled, folder.File("started"), CancellationToken.None);
        var pid = await PoolTestFolder.WaitForStartAsync(folder.File("started"));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        Assert.Equal(pid, await pool.Submit(PoolWork.Pid).WaitAsync(Patience)); // it stopped in time: same worker
    }

    [Fact]
    public async Task RunningTask_ThatIgnoresCancellation_IsKilledAfterTheGracePeriod()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(200) });
        using var cancel = new CancellationTokenSource();
        var stubborn = pool.Submit<int>(new PoolTaskOptions { CancellationToken = cancel.Token }, (Func<string, CancellationToken, int>)PoolWork.IgnoreCancellation, folder.File("started"), CancellationToken.None);
        var pid = await PoolTestFolder.WaitForStartAsync(folder.File("started"));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stubborn.WaitAsync(Patience));
        var next = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        Assert.NotEqual(pid, next); // killed and replaced
    }

    [Fact]
    public async Task TaskTimeout_FailsWithTimeoutException_NamingTheTask()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(200) });
        var slow = pool.Submit<int>(new PoolTaskOptions { Timeout = TimeSpan.FromMilliseconds(300) }, (Func<string, CancellationToken, int>)PoolWork.IgnoreCancellation, folder.File("started"), CancellationToken.None);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => slow.WaitAsync(Patience));
        Assert.Contains(nameof(PoolWork.IgnoreCancellation), error.Message, StringComparison.Ordinal);
        Assert.Contains("timeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await pool.Submit(PoolWork.Square, 1).WaitAsync(Patience));
    }

    [Fact]
    public async Task ShutdownWithCancelFutures_StopsRunningWork_AndCancelsPending()
    {
        using var folder = new PoolTestFolder();
        var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(200) });
        try
        {
            var running = pool.Submit<int>(PoolTaskOptions.Default, (Func<string, CancellationToken, int>)PoolWork.IgnoreCancellation, folder.File("started"), CancellationToken.None);
            var pending = pool.Submit(PoolWork.Square, 3);
            await PoolTestFolder.WaitForStartAsync(folder.File("started"));
            await pool.ShutdownAsync(wait: true, cancelFutures: true).WaitAsync(Patience);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Patience));
            Assert.Empty(await pool.GetWorkerPidsAsync());
            Assert.Throws<InvalidOperationException>(() => { _ = pool.Submit(PoolWork.Square, 1); });
        }
        finally
        {
            await pool.DisposeAsync();
        }
    }

    [Fact]
    public async Task NoGracePeriod_TimeoutAndShutdown_KillAtOnce_AndThePoolCarriesOn()
    {
        using var folder = new PoolTestFolder();
        var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2, CancellationGracePeriod = TimeSpan.Zero });
        try
        {
            var slow = pool.Submit<int>(new PoolTaskOptions { Timeout = TimeSpan.FromMilliseconds(100) }, (Func<string, CancellationToken, int>)PoolWork.IgnoreCancellation, folder.File("a"), CancellationToken.None);
            await Assert.ThrowsAsync<TimeoutException>(() => slow.WaitAsync(Patience));
            Assert.Equal(4, await pool.Submit(PoolWork.Square, 2).WaitAsync(Patience));
            var running = pool.Submit<int>(PoolTaskOptions.Default, (Func<string, CancellationToken, int>)PoolWork.IgnoreCancellation, folder.File("b"), CancellationToken.None);
            await PoolTestFolder.WaitForStartAsync(folder.File("b"));
            await pool.ShutdownAsync(wait: true, cancelFutures: true).WaitAsync(Patience);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        }
        finally
        {
            await pool.DisposeAsync();
        }
    }

    [Fact]
    public async Task ShutdownWithoutCancel_LetsQueuedTasksFinish()
    {
        var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var tasks = Enumerable.Range(0, 10).Select(i => pool.Submit(PoolWork.Square, i)).ToArray();
        await pool.ShutdownAsync(wait: true).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), await Task.WhenAll(tasks));
        await pool.DisposeAsync();
    }

    [Fact]
    public async Task MaxWorkerMemory_RecyclesALeakingWorker_AfterItsTask()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, MaxWorkerMemory = 200L * 1024 * 1024 });
        var first = await pool.Submit(PoolWork.LeakMegabytes, 10).WaitAsync(Patience);
        var leaker = await pool.Submit(PoolWork.LeakMegabytes, 300).WaitAsync(Patience); // its result is kept
        Assert.Equal(first, leaker);
        var after = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        Assert.NotEqual(leaker, after);
    }
}
