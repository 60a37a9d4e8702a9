using Xunit;

namespace Baton.Processes.Tests.Managers;

/// <summary>The manager's objects and proxies, with the server in this process and real sockets between them.</summary>
public sealed class ManagerServerTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("baton-manager-test-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private ManagerServer _server = null!;
    private Task _serving = null!;
    private Manager _manager = null!;

    public Task InitializeAsync()
    {
        _server = new ManagerServer();
        var endpoint = _server.Bind($"ipc://{_folder}/manager");
        _serving = _server.RunAsync(_stop.Token);
        _manager = Manager.Connect(endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _manager.DisposeAsync();
        if (_serving.IsFaulted)
        {
            await _serving; // The server's own failure is the test's failure.
        }

        await _stop.CancelAsync();
        try
        {
            await _serving.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
            // How a cancelled server ends; any other failure fails the test.
        }
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    public sealed record Point(int X, int Y);

    [Fact]
    public async Task Dictionary_SetGetRemoveAndSnapshots()
    {
        var scores = _manager.Dictionary<string, Point>("scores");
        scores["a"] = new Point(1, 2);
        await scores.SetAsync("b", new Point(3, 4));

        Assert.Equal(new Point(1, 2), scores["a"]);
        Assert.Equal(new Point(3, 4), await scores.GetAsync("b"));
        Assert.True(scores.ContainsKey("a"));
        Assert.False(scores.TryGetValue("zzz", out _));
        var missing = Assert.Throws<KeyNotFoundException>(() => scores["zzz"]);
        Assert.Contains("scores", missing.Message);
        Assert.Equal(2, scores.Count);
        Assert.Equal(["a", "b"], scores.Keys.Order());
        Assert.Equal(new Point(1, 2), scores.GetOrAdd("a", new Point(9, 9)));
        Assert.Equal(new Point(5, 5), scores.GetOrAdd("c", new Point(5, 5)));
        Assert.Equal(3, scores.ToDictionary().Count);
        Assert.True(scores.Remove("a"));
        Assert.False(scores.Remove("a"));
        scores.Clear();
        Assert.Equal(0, scores.Count);
    }

    [Fact]
    public void Dictionary_IsSharedByName()
    {
        var first = _manager.Dictionary<int, string>("shared");
        using var other = Manager.Connect(_manager.Endpoint) is var m ? new AsyncDisposer(m) : null;
        var second = m.Dictionary<int, string>("shared");
        first[7] = "seven";
        Assert.Equal("seven", second[7]);
    }

    [Fact]
    public void List_IndexesFromBothEnds()
    {
        var list = _manager.List<string>("items");
        list.Add("a");
        list.Add("c");
        list.Insert(1, "b");
        Assert.Equal(["a", "b", "c"], list.ToArray());
        Assert.Equal("c", list[^1]);
        list[0] = "A";
        Assert.Equal("A", list[0]);
        Assert.Equal("c", list.Pop());
        Assert.Equal("A", list.RemoveAt(0));
        Assert.Equal(1, list.Count);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => list[5]);
        Assert.Contains("1 items", outside.Message);
        list.Clear();
        Assert.Empty(list.ToArray());
    }

    [Fact]
    public void Namespace_HoldsAttributesOfAnyType()
    {
        var ns = _manager.Namespace("state");
        ns.Set("progress", 0.5);
        ns.Set("label", "half");
        Assert.Equal(0.5, ns.Get<double>("progress"));
        Assert.True(ns.TryGet<string>("label", out var label));
        Assert.Equal("half", label);
        Assert.False(ns.TryGet<string>("nothing", out _));
        Assert.Throws<KeyNotFoundException>(() => ns.Get<int>("nothing"));
        Assert.Equal(["label", "progress"], ns.Names.Order());
        Assert.True(ns.Remove("label"));
    }

    [Fact]
    public void Name_KeepsItsKind()
    {
        _manager.List<int>("taken");
        var error = Assert.Throws<InvalidOperationException>(() => _manager.Dictionary<int, int>("taken"));
        Assert.Contains("taken", error.Message);
    }

    [Fact]
    public async Task Queue_FifoAcrossProxies_WithTimeouts()
    {
        await using var producer = _manager.Queue<int>("jobs");
        await using var consumer = _manager.Queue<int>("jobs");
        for (var i = 0; i < 100; i++)
        {
            producer.Put(i);
        }

        Assert.Equal(100, consumer.Count);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, await consumer.GetAsync());
        }

        Assert.False(consumer.TryGet(out _));
        Assert.Throws<QueueEmptyException>(() => consumer.Get(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Queue_BlockedGetIsServedByALaterPut()
    {
        await using var producer = _manager.Queue<string>("later");
        await using var consumer = _manager.Queue<string>("later");
        var pending = consumer.GetAsync().AsTask();
        Assert.False(pending.IsCompleted);
        await producer.PutAsync("hello");
        Assert.Equal("hello", await pending.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Queue_BoundedPutWaitsForRoom()
    {
        await using var producer = _manager.Queue<int>("bounded", maxSize: 1);
        await using var consumer = _manager.Queue<int>("bounded");
        producer.Put(1);
        Assert.Throws<QueueFullException>(() => producer.Put(2, TimeSpan.Zero));
        var blocked = producer.PutAsync(2).AsTask();
        Assert.Equal(1, consumer.Get());
        await blocked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, consumer.Get());
    }

    [Fact]
    public async Task Queue_CancelledGetLosesNothing()
    {
        await using var producer = _manager.Queue<int>("cancel");
        await using var consumer = _manager.Queue<int>("cancel");
        using var cancel = new CancellationTokenSource();
        var pending = consumer.GetAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        producer.Put(42);
        Assert.Equal(42, consumer.Get(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Unreachable_ManagerFailsClearly()
    {
        await using var nowhere = Manager.Connect($"ipc://{_folder}/nobody", new ManagerOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var error = Assert.Throws<ManagerUnavailableException>(() => nowhere.List<int>("x"));
        Assert.Contains("could not be reached", error.Message);
    }

    [Fact]
    public async Task ServerGoingAway_FailsAPendingGet()
    {
        await using var consumer = _manager.Queue<int>("orphan");
        var pending = consumer.GetAsync().AsTask();
        await _stop.CancelAsync();
        await _server.DisposeAsync();
        var error = await Assert.ThrowsAsync<ManagerUnavailableException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("dropped", error.Message);
    }

    private sealed class AsyncDisposer(IAsyncDisposable inner) : IDisposable
    {
        public void Dispose() => inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
