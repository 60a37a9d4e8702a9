using System.Diagnostics;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>Better than Python: a worker that dies fails only its own task, named, and the pool carries on.</summary>
public class PoolCrashTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task Kill9_MidTask_FailsOnlyThatTask_AndThePoolKeepsServing()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 2 });
        var started = folder.File("started");
        var doomed = pool.Submit(PoolWork.BlockForever, started);
        var pid = await PoolTestFolder.WaitForStartAsync(started);

        // Other work, before and after the crash, on the other worker and on the replacement.
        var others = Enumerable.Range(0, 20).Select(i => pool.Submit(PoolWork.Square, i)).ToArray();
        Process.GetProcessById(pid).Kill();

        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => doomed.WaitAsync(Patience));
        Assert.Equal(pid, crash.Pid);
        Assert.Equal(9, crash.Signal);
        Assert.Equal(-9, crash.ExitCode);
        Assert.Contains(nameof(PoolWork.BlockForever), crash.TaskName, StringComparison.Ordinal);
        Assert.Contains($"Task {crash.TaskId}", crash.Message, StringComparison.Ordinal);
        Assert.Contains(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), crash.Message, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", crash.Message, StringComparison.Ordinal);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), await Task.WhenAll(others).WaitAsync(Patience));
        await pool.WaitForWorkersAsync(2).WaitAsync(Patience);
        Assert.DoesNotContain(pid, await pool.GetWorkerPidsAsync());
        Assert.Equal(100, await pool.Submit(PoolWork.Square, 10).WaitAsync(Patience));
    }

    [Fact]
    public async Task SpareWorker_TakesTheNextTask_WhenABusyWorkerIsKilled()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, SpareWorkers = 1 });
        await pool.WaitForWorkersAsync(2).WaitAsync(Patience);
        var spares = await pool.GetWorkerPidsAsync();
        var doomed = pool.Submit(PoolWork.BlockForever, folder.File("started"));
        var pid = await PoolTestFolder.WaitForStartAsync(folder.File("started"));
        var next = pool.Submit(PoolWork.Pid);
        Process.GetProcessById(pid).Kill();
        await Assert.ThrowsAsync<WorkerCrashedException>(() => doomed.WaitAsync(Patience));
        var taker = await next.WaitAsync(Patience);
        Assert.NotEqual(pid, taker);
        Assert.Contains(taker, spares); // the warm spare, not a process started after the crash
        await pool.WaitForWorkersAsync(2).WaitAsync(Patience); // and a new spare
    }

    [Fact]
    public async Task EnvironmentExit_InATask_FailsItWithTheExitCode()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.Submit(PoolWork.Exit, 3).WaitAsync(Patience));
        Assert.Equal(3, crash.ExitCode);
        Assert.Null(crash.Signal);
        Assert.Contains("exited with code 3", crash.Message, StringComparison.Ordinal);
        Assert.Equal(9, await pool.Submit(PoolWork.Square, 3).WaitAsync(Patience));
    }

    [Fact]
    public async Task StackOverflow_FailsOnlyThatTask()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1 });
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.Submit(PoolWork.Overflow, 0).WaitAsync(Patience));
        Assert.Equal(6, crash.Signal); // the runtime aborts on a stack overflow
        Assert.Contains(nameof(PoolWork.Overflow), crash.Message, StringComparison.Ordinal);
        Assert.Equal(16, await pool.Submit(PoolWork.Square, 4).WaitAsync(Patience));
    }

    [Fact]
    public async Task OutOfMemory_UnderAHeapLimit_FailsOnlyThatTask()
    {
        // A 64 MB managed heap in the worker (DOTNET_GCHeapHardLimit is hexadecimal).
        var options = new ProcessPoolOptions
        {
            Workers = 1,
            WorkerEnvironment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x4000000" },
        };
        await using var pool = new ProcessPool(options);
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.Submit(PoolWork.AllocateForever, 4).WaitAsync(Patience));
        Assert.Contains("out of memory", crash.Message, StringComparison.Ordinal);
        Assert.Equal(25, await pool.Submit(PoolWork.Square, 5).WaitAsync(Patience));
    }

    [Fact]
    public async Task IdempotentTask_IsRetriedOnAFreshWorker()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, Retries = 2 });
        var count = folder.File("count");
        var result = await pool.Submit<int>(new PoolTaskOptions { Idempotent = true }, (Func<string, int, int>)PoolWork.KillSelfThenSucceed, count, 2).WaitAsync(Patience);
        Assert.Equal(42, result);
        Assert.Equal(3, File.ReadAllText(count).Length);
    }

    [Fact]
    public async Task NonIdempotentTask_IsNotRetried()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, Retries = 2 });
        var count = folder.File("count");
        await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.Submit<int>(PoolTaskOptions.Default, (Func<string, int, int>)PoolWork.KillSelfThenSucceed, count, 1).WaitAsync(Patience));
        Assert.Equal(1, File.ReadAllText(count).Length);
    }

    [Fact]
    public async Task TaskThatKeepsKillingWorkers_FailsAsPoisonous()
    {
        using var folder = new PoolTestFolder();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Workers = 1, Retries = 10, PoisonThreshold = 3 });
        var count = folder.File("count");
        var poison = await Assert.ThrowsAsync<PoisonTaskException>(() => pool.Submit<int>(new PoolTaskOptions { Idempotent = true }, (Func<string, int>)PoolWork.KillSelf, count).WaitAsync(Patience));
        Assert.Equal(3, poison.WorkersKilled);
        Assert.Contains("poisonous", poison.Message, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllText(count).Length);
        Assert.Equal(36, await pool.Submit(PoolWork.Square, 6).WaitAsync(Patience));
    }
}
