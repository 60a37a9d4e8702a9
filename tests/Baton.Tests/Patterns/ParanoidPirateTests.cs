using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Paranoid Pirate (6/PPP): queue and worker heartbeat each other; a worker that dies mid-request costs
/// the client one retry, not the queue; workers reconnect; bad input is dropped; pyzmq workers from the
/// spec work with Baton's queue.
/// </summary>
public class ParanoidPirateTests
{
    private static readonly ParanoidPirateOptions Fast = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        Liveness = 3,
        ReconnectInterval = TimeSpan.FromMilliseconds(100),
        ReconnectIntervalMax = TimeSpan.FromMilliseconds(400),
    };

    private static readonly LazyPirateOptions Patient = new() { Timeout = TimeSpan.FromSeconds(1), Attempts = 20 };

    [Fact]
    public async Task Requests_AreServedByTheWorkers_ThroughTheQueue()
    {
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"), Fast);
        using var cancel = new CancellationTokenSource();
        var running = new List<Task> { queue.RunAsync(cancel.Token) };
        foreach (var name in new[] { "a", "b" })
        {
            running.Add(new ParanoidPirateWorker(queue.BackendEndpoint, (request, _) => Tagged(name, request), Fast).RunAsync(cancel.Token));
        }

        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 2);
        await using var client = new LazyPirateClient(queue.FrontendEndpoint, Patient);
        var served = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            using var reply = await client.RequestAsync(new Message($"r{i}"));
            Assert.Equal($"r{i}", reply[1].ToString());
            served.Add(reply[0].ToString());
        }

        Assert.Equal(["a", "b"], served.Order());
        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task AWorkerThatTakesLongerThanTheExpiry_StaysAlive_BecauseItHeartbeatsWhileItWorks()
    {
        // Liveness 5 (an expiry of 500 ms): a loaded machine may delay a heartbeat, not five in a row.
        var options = Fast with { Liveness = 5 };
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"), options);
        using var cancel = new CancellationTokenSource();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new ParanoidPirateWorker(queue.BackendEndpoint, async (request, token) =>
        {
            await release.Task.WaitAsync(token);
            return await Tagged("slow", request);
        }, options);
        var running = new List<Task> { queue.RunAsync(cancel.Token), worker.RunAsync(cancel.Token) };
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 1);

        await using var client = new ReqSocket();
        client.Connect(queue.FrontendEndpoint);
        await client.SendOrFail(new Message("take your time"));

        // Three expiry periods pass while the handler works: the worker must neither expire nor reconnect.
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 0);
        var busySince = DateTime.UtcNow;
        while (DateTime.UtcNow - busySince < TimeSpan.FromSeconds(1.5))
        {
            Assert.Equal(1, queue.WorkerCount);
            await Task.Delay(50);
        }

        release.SetResult();
        using var reply = await client.ReceiveOrFail();
        Assert.Equal(["slow", "take your time"], reply.ToStrings());
        Assert.Equal(1, worker.Connections);
        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task AWorkerKilledMidRequest_CostsTheClientARetry_NotTheQueue()
    {
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"), Fast);
        using var cancel = new CancellationTokenSource();
        using var crash = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var took = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The doomed worker takes the request and never answers: its process "dies" (its socket closes with it).
        var doomed = new ParanoidPirateWorker(queue.BackendEndpoint, async (request, token) =>
        {
            took.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
            return request;
        }, Fast);
        var running = new List<Task> { queue.RunAsync(cancel.Token) };
        var doomedRun = doomed.RunAsync(crash.Token);
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 1);

        await using var client = new LazyPirateClient(queue.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(800), Attempts = 20 });
        var request = client.RequestAsync(new Message("important"));
        await took.Task.WaitAsync(TestUtil.Timeout);
        await crash.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomedRun.WaitAsync(TestUtil.Timeout));

        running.Add(new ParanoidPirateWorker(queue.BackendEndpoint, (r, _) => Tagged("survivor", r), Fast).RunAsync(cancel.Token));
        using (var reply = await request.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(["survivor", "important"], reply.ToStrings());
        }

        // The dead worker is forgotten after its expiry; the queue goes on serving.
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.WorkerCount == 1);
        using (var reply = await client.RequestAsync(new Message("next")))
        {
            Assert.Equal(["survivor", "next"], reply.ToStrings());
        }

        Assert.False(running[0].IsCompleted);
        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task AWorker_ReconnectsWhenTheQueueRestarts_AndServesTheNewOne()
    {
        var frontend = TestUtil.Endpoint("ipc");
        var backend = TestUtil.Endpoint("ipc");
        using var cancel = new CancellationTokenSource();
        var worker = new ParanoidPirateWorker(backend, (r, _) => Tagged("w", r), Fast);
        var working = worker.RunAsync(cancel.Token);

        await using (var first = new ParanoidPirateQueue(frontend, backend, Fast))
        {
            using var stopFirst = new CancellationTokenSource();
            var run = first.RunAsync(stopFirst.Token);
            await LoadBalancingBrokerTests.WaitUntilAsync(() => first.ReadyWorkerCount == 1);
            await stopFirst.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
        }

        // The queue is gone: the worker hears nothing, gives up on its connection and tries again, with back-off.
        await LoadBalancingBrokerTests.WaitUntilAsync(() => worker.Connections >= 2);
        await using var second = new ParanoidPirateQueue(frontend, backend, Fast);
        var running = new List<Task> { second.RunAsync(cancel.Token), working };
        await using var client = new LazyPirateClient(second.FrontendEndpoint, Patient);
        using (var reply = await client.RequestAsync(new Message("again")))
        {
            Assert.Equal(["w", "again"], reply.ToStrings());
        }

        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task MalformedMessages_AreDropped_AndTheQueueKeepsServing()
    {
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"), Fast);
        using var cancel = new CancellationTokenSource();
        var running = new List<Task> { queue.RunAsync(cancel.Token) };

        await using var rogue = new DealerSocket();
        rogue.Connect(queue.BackendEndpoint);
        await rogue.SendOrFail(new Message(new Frame([0x07])));           // an unknown command
        await rogue.SendOrFail(new Message(Frame.Empty));                   // nothing at all
        await rogue.SendOrFail(new Message(new Frame([0x01, 0x01])));     // READY with a tail
        await rogue.SendOrFail(new Message("nobody", Frame.Empty, "x"));    // a reply for a client that does not exist

        // Random frames from a client that is not a REQ.
        await using var noisy = new DealerSocket();
        noisy.Connect(queue.FrontendEndpoint);
        var random = new Random(10);
        for (var i = 0; i < 200; i++)
        {
            var message = new Message();
            for (var f = random.Next(1, 4); f > 0; f--)
            {
                var bytes = new byte[random.Next(0, 4)];
                random.NextBytes(bytes);
                message.Append(bytes);
            }

            await noisy.SendOrFail(message);
        }

        running.Add(new ParanoidPirateWorker(queue.BackendEndpoint, (r, _) => Tagged("good", r), Fast).RunAsync(cancel.Token));
        await using var client = new LazyPirateClient(queue.FrontendEndpoint, Patient);
        using (var reply = await client.RequestAsync(new Message("still there?")))
        {
            Assert.Equal(["good", "still there?"], reply.ToStrings());
        }

        Assert.False(running[0].IsCompleted);
        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task AHandlerThatThrows_LeavesTheRequestToTheClientsRetry_AndTheWorkerServesOn()
    {
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("inproc"), TestUtil.Endpoint("inproc"), Fast);
        using var cancel = new CancellationTokenSource();
        var calls = 0;
        var worker = new ParanoidPirateWorker(queue.BackendEndpoint, (request, _) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("bad day") : Tagged("w", request), Fast);
        var running = new List<Task> { queue.RunAsync(cancel.Token), worker.RunAsync(cancel.Token) };
        await using var client = new LazyPirateClient(queue.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 20 });
        using (var reply = await client.RequestAsync(new Message("try twice")))
        {
            Assert.Equal(["w", "try twice"], reply.ToStrings());
        }

        Assert.Equal(2, calls);
        await PatternRuns.StopAsync(cancel, running);
    }

    [Fact]
    public async Task PyzmqWorkersFromTheSpec_ServeThroughBatonsQueue_AndOneCrashingMidRequestCostsOnlyARetry()
    {
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"), Fast);
        using var cancel = new CancellationTokenSource();
        var running = new List<Task> { queue.RunAsync(cancel.Token) };

        await using var crasher = PatternPeer.Start("ppworker", queue.BackendEndpoint, "crasher", "100", "crash");
        await crasher.WaitForAsync("ready");
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 1);
        await using var client = new LazyPirateClient(queue.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(800), Attempts = 20 });
        var request = client.RequestAsync(new Message("first"));
        await crasher.WaitForAsync("crashing");
        Assert.Equal(3, await crasher.WaitForExitAsync());

        await using var steady = PatternPeer.Start("ppworker", queue.BackendEndpoint, "steady", "100");
        using (var reply = await request.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(["steady", "first"], reply.ToStrings());
        }

        for (var i = 0; i < 10; i++)
        {
            using var reply = await client.RequestAsync(new Message($"r{i}"));
            Assert.Equal(["steady", $"r{i}"], reply.ToStrings());
        }

        // The queue's heartbeats keep the pyzmq worker on its first connection (it never printed "reconnecting").
        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.WorkerCount == 1);
        await PatternRuns.StopAsync(cancel, running);
    }

    internal static ValueTask<Message> Tagged(string name, Message request)
    {
        var reply = new Message(name);
        foreach (var frame in request)
        {
            reply.Append(frame);
        }

        request.Dispose();
        return ValueTask.FromResult(reply);
    }
}
