using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>The load-balancing broker: least recently used routing, requests that wait for a worker, workers that vanish, bad input.</summary>
public class LoadBalancingBrokerTests
{
    [Fact]
    public async Task Requests_GoToTheLeastRecentlyUsedReadyWorker()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);

        // Three workers, ready one after another: then requests go to them in that order, round after round.
        var workers = new List<Task>();
        var sockets = new List<ReqSocket>();
        try
        {
            foreach (var name in new[] { "a", "b", "c" })
            {
                var worker = new ReqSocket();
                sockets.Add(worker);
                worker.Connect(broker.BackendEndpoint);
                workers.Add(WorkAsync(worker, name, "READY", cancel.Token));
                await WaitUntilAsync(() => broker.ReadyWorkerCount == sockets.Count);
            }

            await using var client = new ReqSocket();
            client.Connect(broker.FrontendEndpoint);
            var served = new List<string>();
            for (var i = 0; i < 9; i++)
            {
                await client.SendOrFail(new Message($"r{i}"));
                using var reply = await client.ReceiveOrFail();
                Assert.Equal($"r{i}", reply[1].ToString());
                served.Add(reply[0].ToString());
            }

            Assert.Equal(["a", "b", "c", "a", "b", "c", "a", "b", "c"], served);
        }
        finally
        {
            await cancel.CancelAsync();
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task ARequestSentBeforeAnyWorker_WaitsAndIsServed_ByAWorkerThatSaysReadyAsLbbroker2Does()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);
        await using var client = new ReqSocket();
        client.Connect(broker.FrontendEndpoint);
        await client.SendOrFail(new Message("early"));
        Assert.Null(await client.TryReceiveAsync(TimeSpan.FromMilliseconds(100)));

        await using var worker = new ReqSocket();
        worker.Connect(broker.BackendEndpoint);
        var work = WorkAsync(worker, "late", "\x01", cancel.Token);
        using var reply = await client.ReceiveOrFail();
        Assert.Equal(["late", "early"], reply.ToStrings());

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task ManyClientsAndWorkers_EveryRequestGetsItsOwnReply()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);
        var workerSockets = new List<ReqSocket>();
        try
        {
            for (var w = 0; w < 4; w++)
            {
                var worker = new ReqSocket();
                workerSockets.Add(worker);
                worker.Connect(broker.BackendEndpoint);
                _ = WorkAsync(worker, $"w{w}", "READY", cancel.Token);
            }

            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                await using var client = new ReqSocket();
                client.Connect(broker.FrontendEndpoint);
                for (var i = 0; i < 50; i++)
                {
                    await client.SendOrFail(new Message($"c{c}-{i}"));
                    using var reply = await client.ReceiveOrFail();
                    Assert.Equal($"c{c}-{i}", reply[1].ToString());
                }
            }));
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await cancel.CancelAsync();
            foreach (var socket in workerSockets)
            {
                await socket.DisposeAsync();
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task AWorkerThatLeftWhileReady_IsSkipped()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);

        // A worker that says READY and leaves at once, then one that stays.
        var gone = new ReqSocket();
        gone.Connect(broker.BackendEndpoint);
        await gone.SendOrFail(new Message("READY"));
        await WaitUntilAsync(() => broker.ReadyWorkerCount == 1);
        await gone.DisposeAsync();
        await using var worker = new ReqSocket();
        worker.Connect(broker.BackendEndpoint);
        _ = WorkAsync(worker, "stayed", "READY", cancel.Token);
        await WaitUntilAsync(() => broker.ReadyWorkerCount == 2);

        await using var client = new LazyPirateClient(broker.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromSeconds(2), Attempts = 5 });
        for (var i = 0; i < 3; i++)
        {
            using var reply = await client.RequestAsync(new Message($"r{i}"));
            Assert.Equal(["stayed", $"r{i}"], reply.ToStrings());
        }

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task MalformedMessages_AreDropped_AndTheBrokerKeepsServing()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);

        // A DEALER on the backend speaks nonsense: no delimiter, an unknown command, a lone empty frame.
        await using var rogue = new DealerSocket();
        rogue.Connect(broker.BackendEndpoint);
        await rogue.SendOrFail(new Message("no-delimiter"));
        await rogue.SendOrFail(new Message(Frame.Empty, "HELLO"));
        await rogue.SendOrFail(new Message(Frame.Empty));
        await rogue.SendOrFail(new Message("x", "y", "z", "w"));

        await using var worker = new ReqSocket();
        worker.Connect(broker.BackendEndpoint);
        _ = WorkAsync(worker, "good", "READY", cancel.Token);
        await using var client = new ReqSocket();
        client.Connect(broker.FrontendEndpoint);
        await client.SendOrFail(new Message("still there?"));
        using var reply = await client.ReceiveOrFail();
        Assert.Equal(["good", "still there?"], reply.ToStrings());
        Assert.False(run.IsCompleted);

        await PatternRuns.StopAsync(cancel, run);
    }

    /// <summary>A REQ worker as in the guide: READY, then [client, "", body] answered with [client, "", name, body].</summary>
    internal static async Task WorkAsync(ReqSocket worker, string name, string ready, CancellationToken cancellationToken)
    {
        try
        {
            await worker.SendAsync(new Message(ready), cancellationToken);
            while (true)
            {
                using var request = await worker.ReceiveAsync(cancellationToken);
                var reply = new Message(request[0], Frame.Empty, Frame.FromString(name));
                for (var i = 2; i < request.Count; i++)
                {
                    reply.Append(request[i]);
                }

                await worker.SendAsync(reply, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Waits for a condition the test cannot be signalled about (a broker's internal state), up to 30 s.</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the condition did not hold within 30 s");
            }

            await Task.Delay(5);
        }
    }
}
