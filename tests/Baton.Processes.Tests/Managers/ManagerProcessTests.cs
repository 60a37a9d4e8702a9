using Xunit;

namespace Baton.Processes.Tests.Managers;

/// <summary>A manager in its own process, used from this one, from child processes and over tcp.</summary>
public sealed class ManagerProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ChildProcess_UsesProxiesPassedAsArguments()
    {
        await using var manager = await Manager.StartAsync();
        var results = manager.Dictionary<int, int>("squares");
        var log = manager.List<string>("log");

        await using var first = ChildProcess.Start(FillSquares, results, log, 0);
        await using var second = ChildProcess.Start(FillSquares, results, log, 50);
        Assert.Equal(50, await first.Result.WaitAsync(Patience));
        Assert.Equal(50, await second.Result.WaitAsync(Patience));

        Assert.Equal(100, results.Count);
        Assert.Equal(49 * 49, results[49]);
        Assert.Equal(99 * 99, results[99]);
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public async Task Queue_CarriesItemsFromAChildToThisProcess()
    {
        await using var manager = await Manager.StartAsync();
        await using var queue = manager.Queue<string>("out");
        await using var producer = ChildProcess.Start(Produce, queue, 200);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"item {i}", await queue.GetAsync(Patience));
        }

        await producer.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task Listen_ServesProxiesOverTcp()
    {
        await using var manager = await Manager.StartAsync(new ManagerOptions { Listen = "tcp://127.0.0.1:0" });
        Assert.Equal(2, manager.Endpoints.Count);
        var tcp = manager.Endpoints[1];
        Assert.StartsWith("tcp://127.0.0.1:", tcp, StringComparison.Ordinal);
        Assert.DoesNotContain(":0", tcp[10..], StringComparison.Ordinal);

        manager.Namespace("settings").Set("answer", 42);
        await using var remote = Manager.Connect(tcp);
        Assert.Equal(42, remote.Namespace("settings").Get<int>("answer"));
    }

    [Fact]
    public async Task Dispose_EndsTheManagersProcess()
    {
        var manager = await Manager.StartAsync();
        var process = manager.Process!;
        Assert.True(process.IsAlive);
        await manager.DisposeAsync();
        Assert.True(await process.JoinAsync(Patience));
        Assert.False(process.IsAlive);
    }

    [Fact]
    public async Task KilledManager_FailsAPendingGetInsteadOfHanging()
    {
        await using var manager = await Manager.StartAsync();
        await using var queue = manager.Queue<int>("never");
        var pending = queue.GetAsync().AsTask();
        manager.Process!.Kill();
        var error = await Assert.ThrowsAsync<ManagerUnavailableException>(() => pending.WaitAsync(Patience));
        Assert.Contains("exited", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
    }

    private static int FillSquares(DictionaryProxy<int, int> results, ListProxy<string> log, int from)
    {
        for (var i = from; i < from + 50; i++)
        {
            results[i] = i * i;
        }

        log.Add($"filled {from}..{from + 49} in {Environment.ProcessId}");
        return 50;
    }

    private static async Task Produce(QueueProxy<string> queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await queue.PutAsync($"item {i}");
        }
    }
}
